using RnnLm.Engine;
using RnnLm.Engine.IO;
using RnnLm.Engine.Model;

namespace RnnLm.Api.Tests;

// A model with a tree output (hierarchical softmax) served beside the tiny class model: scoring, next words, generation
// and the model's description give what the engine gives for it.
public sealed class TreeModelTests : IDisposable
{
    private readonly RnnLmApplication _app = new();
    private readonly LanguageModel _tree;

    public TreeModelTests()
    {
        var path = BrokenModelTests.ModelPath(_app.Folder, "tree");
        Directory.CreateDirectory(Path.GetDirectoryName(path)!);
        var vocabulary = _app.Model.Vocabulary;
        var parameters = new Parameters<float>(new ModelShape(vocabulary.Count, 8, 12, OutputKind.Tree, 0));
        parameters.Initialize(seed: 4, scale: 0.8);
        ModelFile.Save(new LanguageModel(vocabulary, null, parameters), path);
        _tree = ModelFile.Load(path);
    }

    public void Dispose() => _app.Dispose();

    [Fact]
    public async Task ScoringWithATreeModelGivesTheEnginesLogProbabilities()
    {
        string[] tokens = ["The", "jury", "said", "no", "evidence", "."];
        var json = await _app.PostOkAsync("/score?model=tree", new { tokens = new[] { tokens } });

        var expected = _tree.Score(tokens);
        var scored = json.GetProperty("sentences")[0].GetProperty("tokens").EnumerateArray().Select(t => t.GetProperty("logProb").GetDouble());
        Assert.Equal(expected.Tokens.Select(t => (double)t.LogProb), scored);
        Assert.NotEqual(_app.Model.Score(tokens).LogProb, expected.LogProb);
    }

    [Fact]
    public async Task NextWithATreeModelGivesTheEnginesCandidatesAndTheirScores()
    {
        var expected = _tree.Next(["The", "committee"], 5);
        var json = await _app.GetOkAsync("/next?model=tree&prefix=The%20committee&top=5&word=recommended");

        var candidates = json.GetProperty("candidates").EnumerateArray().ToArray();
        Assert.Equal(expected.Candidates.Select(c => c.Token), candidates.Select(c => c.GetProperty("token").GetString()));
        Assert.Equal(expected.Candidates.Select(c => c.Probability), candidates.Select(c => c.GetProperty("probability").GetDouble()));
        Assert.Equal(expected.EndOfSentenceProbability, json.GetProperty("endOfSentenceProbability").GetDouble());
        Assert.Equal(_tree.Score(["The", "committee", "recommended"]).Tokens[2].LogProb, json.GetProperty("word").GetProperty("logProb").GetDouble(), 1e-12);
    }

    [Fact]
    public async Task GenerationAndTheModelsDescriptionWorkForATreeModel()
    {
        var generated = await _app.PostOkAsync("/generate?model=tree", new { prefix = "The jury", maxTokens = 5, seed = 3 });
        Assert.True(generated.GetProperty("tokens").GetArrayLength() > 0);

        using var management = _app.CreateManagementClient();
        (await management.PostAsync("/models/tree/activate", null)).EnsureSuccessStatusCode();
        var described = await _app.GetOkAsync("/model");
        Assert.Equal("tree", described.GetProperty("output").GetString());
        Assert.Contains("hierarchical softmax", described.GetProperty("architecture").GetString());
        Assert.Equal(0, described.GetProperty("classes").GetInt32());
    }
}
