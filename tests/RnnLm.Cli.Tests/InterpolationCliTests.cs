using System.Text.Json;
using RnnLm.Engine.Data;
using RnnLm.Engine.Interpolation;
using RnnLm.Engine.IO;
using RnnLm.Engine.NGram;

namespace RnnLm.Cli.Tests;

/// <summary><c>--ngram</c> and <c>--lambda</c> on eval, score and next, and <c>rnnlm tune-lambda</c>, their figures checked against the engine's.</summary>
public sealed class InterpolationCliTests : IClassFixture<CliTests.TrainedModel>, IDisposable
{
    private readonly CliTests.TrainedModel _fixture;
    private readonly string _directory = Directory.CreateTempSubdirectory("rnnlm-interpolation-cli-").FullName;
    private readonly string _arpa;
    private readonly InterpolatedModel _mixture;

    public InterpolationCliTests(CliTests.TrainedModel fixture)
    {
        _fixture = fixture;
        _arpa = Path.Combine(_directory, "tiny1.arpa");
        // A unigram model of the RNN's text and of four words the RNN never saw, seen once to four times, so that the count-of-counts
        // n1..n4 (1, 1, 1, 1) define the discounts and the vocabularies differ.
        var sentences = TextCorpus.Read(fixture.Train).Concat(TextCorpus.Parse(["zebra yak yak gnu gnu gnu owl owl owl owl"])).ToArray();
        ArpaWriter.Write(KneserNeyEstimator.Estimate(sentences, 1, minCount: 1), _arpa);
        _mixture = new InterpolatedModel(ModelFile.Load(fixture.Model), ArpaReader.Read(_arpa));
    }

    [Fact]
    public void TuneLambdaReportsTheEngineFitAndThePerplexitiesAtItAndOfEachModelAlone()
    {
        var result = CliTests.Run("tune-lambda", "--model", _fixture.Model, "--ngram", _arpa, "--text", _fixture.Valid, "--json");

        Assert.Equal(0, result.ExitCode);
        var components = _mixture.CorpusComponents(TextCorpus.Read(_fixture.Valid));
        var lambda = components.FitLambda();
        Assert.InRange(lambda, 0.01, 0.99);
        var json = JsonDocument.Parse(result.LastLine).RootElement;
        Assert.Equal(Math.Round(lambda, 6), json.GetProperty("lambda").GetDouble());
        Assert.Equal(components.Mix(lambda).LogProb, json.GetProperty("logProb").GetDouble());
        Assert.Equal(Math.Round(components.Mix(lambda).Perplexity, 4), json.GetProperty("perplexity").GetDouble());
        Assert.Equal(Math.Round(_mixture.Rnn.ScoreCorpus(TextCorpus.Read(_fixture.Valid)).Perplexity, 4), json.GetProperty("rnnPerplexity").GetDouble());
        Assert.Equal(Math.Round(_mixture.NGram.ScoreCorpus(TextCorpus.Read(_fixture.Valid)).Perplexity, 4), json.GetProperty("ngramPerplexity").GetDouble());
        Assert.True(json.GetProperty("perplexity").GetDouble() < Math.Min(json.GetProperty("rnnPerplexity").GetDouble(), json.GetProperty("ngramPerplexity").GetDouble()));
        Assert.Equal("tiny1.arpa", json.GetProperty("ngram").GetString());

        var text = CliTests.Run("tune-lambda", "--model", _fixture.Model, "--ngram", _arpa, "--text", _fixture.Valid);
        Assert.StartsWith($"λ {lambda:F4}: perplexity {components.Mix(lambda).Perplexity:F2} over", text.Output);
    }

    [Fact]
    public void EvalWithAnNGramGivesTheMixturesCorpusScore()
    {
        var result = CliTests.Run("eval", "--model", _fixture.Model, "--text", _fixture.Valid, "--ngram", _arpa, "--lambda", "0.6", "--json");

        Assert.Equal(0, result.ExitCode);
        var expected = _mixture.ScoreCorpus(TextCorpus.Read(_fixture.Valid), 0.6);
        var json = JsonDocument.Parse(result.LastLine).RootElement;
        Assert.Equal(expected.LogProb, json.GetProperty("logProb").GetDouble(), 1e-9);
        Assert.Equal(Math.Round(expected.Perplexity, 4), json.GetProperty("perplexity").GetDouble());
        Assert.Equal(0.6, json.GetProperty("lambda").GetDouble());
        Assert.Equal("tiny1.arpa", json.GetProperty("ngram").GetString());
        Assert.NotEqual(_mixture.Rnn.ScoreCorpus(TextCorpus.Read(_fixture.Valid)).LogProb, expected.LogProb, 1e-6);
    }

    [Fact]
    public void ScoreAndNextWithAnNGramPrintTheMixturesFiguresAtTheDefaultLambda()
    {
        var score = CliTests.Run("score", "the cat sees a zebra", "--pretokenized", "--model", _fixture.Model, "--ngram", _arpa);

        var expected = _mixture.Score(["the", "cat", "sees", "a", "zebra"], Mixture.DefaultLambda);
        Assert.Equal(0, score.ExitCode);
        var lines = score.Output.Split('\n', StringSplitOptions.RemoveEmptyEntries);
        Assert.Equal([.. expected.Tokens.Select(t => $"{t.Token,-20} {(t.IsUnknown ? "<unk>" : ""),-6} {t.LogProb,10:F4}")], lines[..^1]);
        Assert.Equal($"log-probability {expected.LogProb:F4} (natural log), perplexity {expected.Perplexity:F2} over 6 tokens, λ 0.75 with tiny1.arpa", lines[^1]);

        var next = CliTests.Run("next", "the red", "--pretokenized", "--top", "3", "--model", _fixture.Model, "--ngram", _arpa, "--lambda", "0.3");

        var candidates = _mixture.Next(["the", "red"], 3, 0.3);
        Assert.Equal(0, next.ExitCode);
        Assert.Equal(
            [.. candidates.Candidates.Select(c => $"{c.Token,-20} {c.Probability,10:F6}"), $"P(</s>) = {candidates.EndOfSentenceProbability:F6}"],
            next.Output.Split('\n', StringSplitOptions.RemoveEmptyEntries));
    }

    [Theory]
    [InlineData("eval --model MODEL --text VALID --ngram ARPA --lambda 1.5", "--lambda: Must be a number from 0 (the n-gram model alone) to 1 (the RNN alone).")]
    [InlineData("score a --model MODEL --ngram ARPA --lambda -0.1", "--lambda: Must be a number from 0")]
    [InlineData("next a --model MODEL --lambda 0.5", "--lambda needs --ngram")]
    [InlineData("eval --model MODEL --text VALID --ngram /nonexistent.arpa", "ARPA file '/nonexistent.arpa' does not exist.")]
    [InlineData("score a --model MODEL --ngram BAD", "BAD, line 3: expected 'ngram N=count'")]
    [InlineData("tune-lambda --model MODEL --ngram BAD --text VALID", "BAD, line 3: expected 'ngram N=count'")]
    [InlineData("tune-lambda --model MODEL --ngram ARPA --text /nonexistent.txt", "does not exist")]
    [InlineData("tune-lambda --model MODEL --text VALID", "Option '--ngram' is required")]
    [InlineData("eval --model MODEL --text VALID --ngram ARPA --lambda x", "x")]
    public void BadInputGetsOneLineAndANonZeroExitCode(string commandLine, string expected)
    {
        var bad = Path.Combine(_directory, "bad.arpa");
        File.WriteAllText(bad, "\\data\\\nngram 1=2\nngram two=3\n");
        string[] args = [.. commandLine.Split(' ').Select(a => a.Replace("MODEL", _fixture.Model).Replace("VALID", _fixture.Valid).Replace("ARPA", _arpa).Replace("BAD", bad))];

        CliTests.AssertOneLineError(CliTests.Run(args), expected.Replace("BAD", bad));
    }

    public void Dispose() => Directory.Delete(_directory, recursive: true);
}
