using System.Text.Json;
using RnnLm.Engine.Data;
using RnnLm.Engine.IO;
using RnnLm.Engine.NGram;

namespace RnnLm.Cli.Tests;

/// <summary>`rnnlm ngram` and `rnnlm ngram-eval` run as a user runs them, their figures checked against the engine's.</summary>
public sealed class NGramCliTests : IDisposable
{
    private readonly string _directory = Directory.CreateTempSubdirectory("rnnlm-ngram-cli-").FullName;
    private readonly string _train;
    private readonly string _valid;
    private readonly string _tiny;

    public NGramCliTests()
    {
        // Real text: the first sentences of Brown protocol v1, enough for a trigram's count-of-counts.
        string Brown(string split) => RepoPaths.Find($"data/brown/{split}.txt", AppContext.BaseDirectory) ?? throw new InvalidOperationException($"data/brown/{split}.txt not found.");
        _train = Path.Combine(_directory, "train.txt");
        _valid = Path.Combine(_directory, "valid.txt");
        _tiny = Path.Combine(_directory, "tiny.txt");
        File.WriteAllLines(_train, File.ReadLines(Brown("train")).Take(3000));
        File.WriteAllLines(_valid, File.ReadLines(Brown("valid")).Take(200));
        File.WriteAllLines(_tiny, ["a b", "b a"]);
    }

    [Fact]
    public void NGramWritesTheEngineEstimateAndNGramEvalScoresItAsTheEngineDoes()
    {
        var arpa = Path.Combine(_directory, "model.arpa");

        var train = CliTests.Run("ngram", "--train", _train, "--order", "3", "--out", arpa, "--json");

        Assert.Equal(0, train.ExitCode);
        var estimate = KneserNeyEstimator.Estimate(TextCorpus.Read(_train), 3, minCount: 4);
        var summary = JsonDocument.Parse(train.LastLine).RootElement;
        Assert.Equal(estimate.Entries.Select(e => e.Count), summary.GetProperty("counts").EnumerateArray().Select(c => c.GetInt32()));
        Assert.Equal(estimate.Discounts[2].D3Plus, summary.GetProperty("discounts")[2][2].GetDouble());
        var expectedFile = new StringWriter();
        ArpaWriter.Write(estimate, expectedFile);
        Assert.Equal(expectedFile.ToString(), File.ReadAllText(arpa));

        var eval = CliTests.Run("ngram-eval", "--arpa", arpa, "--text", _valid, "--json");

        Assert.Equal(0, eval.ExitCode);
        var expected = ArpaReader.Read(arpa).ScoreCorpus(TextCorpus.Read(_valid));
        var json = JsonDocument.Parse(eval.LastLine).RootElement;
        Assert.Equal(200, json.GetProperty("sentences").GetInt64());
        Assert.Equal(File.ReadAllLines(_valid).Sum(l => l.Split(' ', StringSplitOptions.RemoveEmptyEntries).Length + 1), json.GetProperty("tokens").GetInt64());
        Assert.Equal(expected.UnknownTokens, json.GetProperty("unknownTokens").GetInt64());
        Assert.True(expected.UnknownTokens > 0);
        Assert.Equal(expected.LogProb, json.GetProperty("logProb").GetDouble());
        Assert.Equal(Math.Round(expected.Perplexity, 4), json.GetProperty("perplexity").GetDouble());
        Assert.Equal(3, json.GetProperty("order").GetInt32());
    }

    [Fact]
    public void NGramEvalWithoutJsonPrintsThePerplexityLine()
    {
        var arpa = Path.Combine(_directory, "bigram.arpa.gz");
        Assert.Equal(0, CliTests.Run("ngram", "--train", _train, "--order", "2", "--out", arpa, "--min-count", "1").ExitCode);

        var eval = CliTests.Run("ngram-eval", "--arpa", arpa, "--text", _valid);

        var expected = ArpaReader.Read(arpa).ScoreCorpus(TextCorpus.Read(_valid));
        Assert.Equal(0, eval.ExitCode);
        Assert.StartsWith($"perplexity {expected.Perplexity:F2} over {expected.Tokens:N0} tokens ({expected.Sentences:N0} sentences, {expected.UnknownTokens:N0} <unk>), 2-gram model", eval.Output);
    }

    [Theory]
    [InlineData("ngram --train TRAIN --order 7 --out OUT", "--order must be between 1 and 6.")]
    [InlineData("ngram --train TRAIN --order 3 --out OUT --min-count 0", "--min-count must be at least 1.")]
    [InlineData("ngram --train /nonexistent.txt --out OUT", "does not exist")]
    [InlineData("ngram --train TINY --order 2 --out OUT --min-count 1", "the text is too small for this order")]
    [InlineData("ngram-eval --arpa TRAIN --text TRAIN", @"no \data\ line")]
    [InlineData("ngram-eval --arpa BAD --text TRAIN", "BAD, line 3: expected 'ngram N=count'")]
    [InlineData("ngram-eval --arpa /nonexistent.arpa --text TRAIN", "does not exist")]
    public void BadInputGetsOneLineAndANonZeroExitCode(string commandLine, string expected)
    {
        var bad = Path.Combine(_directory, "bad.arpa");
        File.WriteAllText(bad, "\\data\\\nngram 1=2\nngram two=3\n");
        string[] args = [.. commandLine.Split(' ').Select(a => a.Replace("TRAIN", _train).Replace("OUT", Path.Combine(_directory, "x.arpa")).Replace("BAD", bad).Replace("TINY", _tiny))];

        CliTests.AssertOneLineError(CliTests.Run(args), expected.Replace("BAD", bad));
    }

    public void Dispose() => Directory.Delete(_directory, recursive: true);
}
