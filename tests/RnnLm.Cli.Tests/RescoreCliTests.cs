using System.Globalization;
using System.Text.Json;
using RnnLm.Engine.Data;
using RnnLm.Engine.Interpolation;
using RnnLm.Engine.IO;
using RnnLm.Engine.NGram;
using RnnLm.Engine.Rescoring;

namespace RnnLm.Cli.Tests;

/// <summary><c>rnnlm rescore</c>: its outputs against the engine's <see cref="Rescorer"/>, each n-best format, and bad input.</summary>
public sealed class RescoreCliTests : IClassFixture<CliTests.TrainedModel>, IDisposable
{
    private readonly CliTests.TrainedModel _fixture;
    private readonly string _directory = Directory.CreateTempSubdirectory("rnnlm-rescore-cli-").FullName;
    private readonly string _nbest;
    private readonly string _jsonl;

    public RescoreCliTests(CliTests.TrainedModel fixture)
    {
        _fixture = fixture;
        _nbest = Path.Combine(_directory, "nbest.txt");
        File.WriteAllLines(_nbest, ["s1 the cat sees a red ball .", "s1 the cat sees a red ball", "s1 a cat the sees red .", "", "s2 the dog runs .", "s2 the dog dog runs ."]);
        _jsonl = Path.Combine(_directory, "nbest.jsonl");
        File.WriteAllLines(_jsonl,
        [
            """{"id": "a", "hypotheses": [{"tokens": ["the", "cat", "runs"], "scores": {"acoustic": -30, "ngram": -9}}, {"tokens": ["the", "red", "cat", "runs"], "scores": {"acoustic": -29, "ngram": -8}}]}""",
            """{"id": "b", "hypotheses": [{"text": "a dog sees the ball.", "scores": {"acoustic": -50, "ngram": -12}}]}""",
        ]);
    }

    [Fact]
    public void TheDefaultOutputIsTheBestHypothesisOfEachUtteranceAsTheEngineRanksThem()
    {
        var result = CliTests.Run("rescore", "--nbest", _nbest, "--model", _fixture.Model);

        Assert.Equal(0, result.ExitCode);
        var expected = Rescorer.Rescore(ModelFile.Load(_fixture.Model), NBestFile.Read(_nbest).Utterances, new RescoringWeights());
        Assert.Equal([.. expected.Select(u => $"{u.Id} {string.Join(' ', u.Best.Tokens)}")], result.Output.Split('\n', StringSplitOptions.RemoveEmptyEntries));
        Assert.Contains("rescored 2 utterances, 5 hypotheses", result.Error, StringComparison.Ordinal);
    }

    [Fact]
    public void AllWritesEveryHypothesisWithRankIndexCombinedAndLmScores()
    {
        var result = CliTests.Run("rescore", "--nbest", _nbest, "--model", _fixture.Model, "--all", "--lm-weight", "2", "--wip", "-0.5", "--threads", "2");

        var weights = new RescoringWeights { Lm = 2, WordInsertionPenalty = -0.5 };
        var expected = Rescorer.Rescore(ModelFile.Load(_fixture.Model), NBestFile.Read(_nbest).Utterances, weights);
        Assert.Equal(
            [.. expected.SelectMany(u => u.Hypotheses.Select(h => string.Create(CultureInfo.InvariantCulture, $"{u.Id} {h.Rank} {h.Index} {h.Combined:F4} {h.LmLogProb:F4} {string.Join(' ', h.Tokens)}")))],
            result.Output.Split('\n', StringSplitOptions.RemoveEmptyEntries));
    }

    [Fact]
    public void JsonLinesInputWithScoreWeightsGivesTheEnginesFiguresAsJsonLines()
    {
        var result = CliTests.Run("rescore", "--nbest", _jsonl, "--model", _fixture.Model, "--weight", "acoustic=0.1", "--weight", "ngram=0.5", "--all", "--json");

        Assert.Equal(0, result.ExitCode);
        var model = ModelFile.Load(_fixture.Model);
        var lines = result.Output.Split('\n', StringSplitOptions.RemoveEmptyEntries).Select(l => JsonDocument.Parse(l).RootElement).ToArray();
        Assert.Equal(["a", "b"], lines.Select(l => l.GetProperty("id").GetString()));
        var input = NBestFile.Read(_jsonl).Utterances;
        foreach (var (line, utterance) in lines.Zip(input))
        {
            foreach (var h in line.GetProperty("hypotheses").EnumerateArray())
            {
                var given = utterance.Hypotheses[h.GetProperty("index").GetInt32()];
                var lm = model.Score(given.Tokens).LogProb;
                Assert.Equal(lm, h.GetProperty("rnnLogProb").GetDouble());
                Assert.Equal((0.1 * given.Scores["acoustic"]) + (0.5 * given.Scores["ngram"]) + lm, h.GetProperty("combined").GetDouble(), 1e-12);
                Assert.Equal(given.Scores["acoustic"], h.GetProperty("scores").GetProperty("acoustic").GetDouble());
            }
        }

        Assert.Equal(["a", "dog", "sees", "the", "ball", "."], lines[1].GetProperty("hypotheses")[0].GetProperty("tokens").EnumerateArray().Select(t => t.GetString()));
    }

    [Fact]
    public void WithAnNGramTheLmLogProbabilityIsTheMixtures()
    {
        var arpa = Path.Combine(_directory, "uni.arpa");
        // As InterpolationCliTests makes its unigram: four extra words seen once to four times define the discounts.
        ArpaWriter.Write(KneserNeyEstimator.Estimate([.. TextCorpus.Read(_fixture.Train), .. TextCorpus.Parse(["zebra yak yak gnu gnu gnu owl owl owl owl"])], 1, minCount: 1), arpa);
        var result = CliTests.Run("rescore", "--nbest", _nbest, "--model", _fixture.Model, "--ngram", arpa, "--lambda", "0.4", "--all", "--json");

        Assert.Equal(0, result.ExitCode);
        var mixture = new InterpolatedModel(ModelFile.Load(_fixture.Model), ArpaReader.Read(arpa));
        foreach (var h in result.Output.Split('\n', StringSplitOptions.RemoveEmptyEntries).SelectMany(l => JsonDocument.Parse(l).RootElement.GetProperty("hypotheses").EnumerateArray()))
        {
            var tokens = h.GetProperty("tokens").EnumerateArray().Select(t => t.GetString()!).ToArray();
            Assert.Equal(mixture.Score(tokens, 0.4).LogProb, h.GetProperty("lmLogProb").GetDouble());
            Assert.True(h.TryGetProperty("ngramLogProb", out _));
        }

        Assert.Contains("λ 0.4 with uni.arpa", result.Error, StringComparison.Ordinal);
    }

    [Theory]
    [InlineData("s1 a b\ns1\n", "rnnlm: FILE:2: has the id 's1' but no words")]
    [InlineData("s1 a\ns2 b\ns1 c\n", "rnnlm: FILE:3: utterance 's1' began at line 1")]
    [InlineData("s1 a\ns1 b </s>\n", "rnnlm: FILE:2: utterances[0].hypotheses[1].tokens[1]: '</s>' is reserved")]
    [InlineData("{\"id\": \"u\", \"hypotheses\": [{\"text\": \"a\", \"scores\": {\"ac\": 1}}, {\"text\": \"b\"}]}\n", "rnnlm: FILE:1: utterances[0].hypotheses[1].scores: Has the scores none")]
    [InlineData("{\"id\": \"u\", \"hypotheses\": [{\"text\": \"a\"}]}\n{\"id\": \"u\", \"hypotheses\": [{\"text\": \"b\"}]}\n", "rnnlm: FILE:2: utterances[1].id: 'u' is also the id of utterances[0]")]
    [InlineData("{\"id\": \"u\", \"hypotheses\": [{\"text\": \"a\", \"scores\": {\"ac\": 1e999}}]}\n", "rnnlm: FILE:1: utterances[0].hypotheses[0].scores.ac: Must be a finite number")]
    [InlineData("{\"id\": \"u\" \"hypotheses\": []}\n", "rnnlm: FILE:1: is not one JSON object")]
    public void AMalformedFileGetsOneLineWithItsFileAndLine(string content, string expected)
    {
        var file = Path.Combine(_directory, "bad.txt");
        File.WriteAllText(file, content);

        CliTests.AssertOneLineError(CliTests.Run("rescore", "--nbest", file, "--model", _fixture.Model), expected.Replace("FILE", "bad.txt", StringComparison.Ordinal));
    }

    [Theory]
    [InlineData("--weight acoustic", "--weight 'acoustic': give NAME=W")]
    [InlineData("--weight acoustic=1 --weight acoustic=2", "--weight: 'acoustic' is given twice")]
    [InlineData("--weight acoustics=1", "--weight acoustics: No hypothesis has a score 'acoustics'; the scores given are 'acoustic', 'ngram'.")]
    [InlineData("--lm-weight 1e13", "--lm-weight: Must be a finite number")]
    [InlineData("--lambda 0.5", "--lambda needs --ngram")]
    [InlineData("--format xml", "--format: 'xml' is not one of auto, rnnlm, kaldi or jsonl.")]
    public void ABadOptionGetsOneLine(string options, string expected)
    {
        CliTests.AssertOneLineError(CliTests.Run(["rescore", "--nbest", _jsonl, "--model", _fixture.Model, .. options.Split(' ')]), expected);
    }

    [Fact]
    public void AMissingFileGetsOneLine()
    {
        CliTests.AssertOneLineError(CliTests.Run("rescore", "--nbest", Path.Combine(_directory, "none.txt"), "--model", _fixture.Model), "does not exist");
    }

    public void Dispose() => Directory.Delete(_directory, recursive: true);
}
