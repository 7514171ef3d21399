using RnnLm.Engine.Rescoring;

namespace RnnLm.Engine.Tests.Rescoring;

/// <summary>The n-best readers: rnnlm's -nbest lines, Kaldi's UTT-N keys and JSON Lines; good files and every kind of malformed line.</summary>
public sealed class NBestFileTests
{
    [Fact]
    public void RnnlmLinesGroupConsecutiveLinesWithTheSameIdIntoOneUtterance()
    {
        string[] lines = ["u1 The jury said it", "u1\tThe jury sad it", "", "u2 It was  a day .", "u3 Yes"];

        var input = NBestFile.Parse(lines, "n.txt");

        Assert.Equal(["u1", "u2", "u3"], input.Utterances.Select(u => u.Id));
        Assert.Equal([["The", "jury", "said", "it"], ["The", "jury", "sad", "it"]], input.Utterances[0].Hypotheses.Select(h => h.Tokens));
        Assert.Equal(["It", "was", "a", "day", "."], input.Utterances[1].Hypotheses[0].Tokens);
        Assert.All(input.Utterances.SelectMany(u => u.Hypotheses), h => Assert.Empty(h.Scores));
        Assert.Equal([[1, 2], [4], [5]], input.Lines);
    }

    [Fact]
    public void KaldiKeysNameTheUtteranceWithoutTheirLastNumber()
    {
        var input = NBestFile.Parse(["spk1-utt-1 a b", "spk1-utt-2 a c", "spk1-utt2-1 d"], "k.txt", NBestFormat.Kaldi);

        Assert.Equal(["spk1-utt", "spk1-utt2"], input.Utterances.Select(u => u.Id));
        Assert.Equal(2, input.Utterances[0].Hypotheses.Count);
    }

    [Fact]
    public void JsonLinesReadTextTokensAndScores()
    {
        string[] lines =
        [
            """{"id": "u1", "hypotheses": [{"text": "The jury said \"no.\"", "scores": {"acoustic": -12.5, "ngram": -3}}, {"tokens": ["The", "jury"], "scores": {"acoustic": -11, "ngram": -4e0}}]}""",
            """{"hypotheses": [{"tokens": ["x"]}], "id": "u2"}""",
        ];

        var input = NBestFile.Parse(lines, "n.jsonl");

        Assert.Equal(["u1", "u2"], input.Utterances.Select(u => u.Id));
        Assert.Equal(["The", "jury", "said", "``", "no", ".", "''"], input.Utterances[0].Hypotheses[0].Tokens);
        Assert.Equal(-12.5, input.Utterances[0].Hypotheses[0].Scores["acoustic"]);
        Assert.Equal(-4, input.Utterances[0].Hypotheses[1].Scores["ngram"]);
        Assert.Equal([[1, 1], [2]], input.Lines);
    }

    [Theory]
    [InlineData("u1 a b\nu1\n", "n.txt:2: has the id 'u1' but no words")]
    [InlineData("u1 a\nu2 b\nu1 c\n", "n.txt:3: utterance 'u1' began at line 1 and another came between")]
    [InlineData("\n \n", "n.txt: holds no hypothesis")]
    [InlineData("{\"id\": \"u\", \"hypotheses\": [{\"text\": \"a\"}]}\n{\"id\": \"v\"", "n.txt:2: is not one JSON object")]
    [InlineData("{\"id\": \"u\", \"hypotheses\": [{\"text\": \"a\", \"tokens\": [\"a\"]}]}", "n.txt:1: hypotheses[0]: give exactly one of text")]
    [InlineData("{\"id\": \"u\", \"hypotheses\": [{}]}", "n.txt:1: hypotheses[0]: give exactly one of text")]
    [InlineData("{\"id\": \"u\", \"hypotheses\": [{\"tokens\": [\"a\", 3]}]}", "n.txt:1: hypotheses[0].tokens: must be an array of strings")]
    [InlineData("{\"id\": \"u\", \"hypotheses\": [{\"text\": \"a\", \"scores\": {\"ac\": \"-1\"}}]}", "n.txt:1: hypotheses[0].scores.ac: must be a number")]
    [InlineData("{\"id\": 7, \"hypotheses\": []}", "n.txt:1: id: must be a string")]
    [InlineData("{\"id\": \"u\", \"hypotheses\": [], \"weights\": {}}", "n.txt:1: the line has the unknown member 'weights'")]
    [InlineData("{\"id\": \"u\", \"id\": \"v\", \"hypotheses\": []}", "n.txt:1: the line has the member 'id' twice")]
    [InlineData("{\"id\": \"u\"}", "n.txt:1: hypotheses: must be an array")]
    [InlineData("{\"id\": \"u\", \"hypotheses\": [{\"text\": \"a\"}]}\nu2 a b", "n.txt:2: is not one JSON object")]
    public void AMalformedLineIsNamedWithItsNumberAndReason(string text, string message)
    {
        var thrown = Assert.Throws<NBestFormatException>(() => NBestFile.Parse(text.Split('\n'), "n.txt"));

        Assert.StartsWith(message, thrown.Message, StringComparison.Ordinal);
    }

    [Fact]
    public void AKaldiKeyWithoutItsNumberIsNamed()
    {
        var thrown = Assert.Throws<NBestFormatException>(() => NBestFile.Parse(["utt-1 a", "utt b"], "k.txt", NBestFormat.Kaldi));

        Assert.Equal(2, thrown.LineNumber);
        Assert.Contains("not a Kaldi n-best key", thrown.Reason, StringComparison.Ordinal);
    }

    [Fact]
    public void AProblemOfTheCheckIsPlacedOnItsHypothesisLine()
    {
        var input = NBestFile.Parse(["u1 a b", "u1 c </s>", "u2 d"], "n.txt");

        var problem = Assert.Single(Rescorer.Check(input.Utterances, new RescoringWeights()));

        Assert.Equal("utterances[0].hypotheses[1].tokens[1]", problem.Field);
        Assert.Equal(2, input.LineOf(problem));
    }
}
