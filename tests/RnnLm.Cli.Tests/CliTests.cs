using System.Diagnostics;
using System.Security.Cryptography;
using System.Text.Json;
using RnnLm.Engine.Data;
using RnnLm.Engine.Inference;
using RnnLm.Engine.IO;
using RnnLm.Engine.Model;
using RnnLm.Engine.Text;
using RnnLm.Engine.Training;

namespace RnnLm.Cli.Tests;

/// <summary>Runs the real `rnnlm` program as a process, the way a user does.</summary>
public sealed class CliTests : IClassFixture<CliTests.TrainedModel>
{
    private readonly TrainedModel _fixture;

    public CliTests(TrainedModel fixture) => _fixture = fixture;

    [Fact]
    public void TrainWithJsonEndsWithASummaryAndWritesTheModelAndItsCard()
    {
        var summary = JsonDocument.Parse(_fixture.TrainOutput.LastLine).RootElement;
        Assert.Equal(0, _fixture.TrainOutput.ExitCode);
        Assert.True(summary.GetProperty("epochs").GetInt32() >= 1);
        Assert.True(summary.GetProperty("seconds").GetDouble() > 0);
        Assert.True(summary.GetProperty("wordsPerSecond").GetDouble() > 0);
        Assert.True(summary.GetProperty("validPerplexity").GetDouble() > 1);

        // Wall time at the end of every epoch, rising, one per entry of the per-epoch perplexities.
        var seconds = summary.GetProperty("secondsAtEpochEnd").EnumerateArray().Select(e => e.GetDouble()).ToArray();
        Assert.Equal(summary.GetProperty("epochs").GetInt32(), seconds.Length);
        Assert.Equal(summary.GetProperty("validPerplexityPerEpoch").GetArrayLength(), seconds.Length);
        Assert.True(seconds[0] > 0);
        Assert.True(seconds.Zip(seconds.Skip(1)).All(pair => pair.First <= pair.Second));
        Assert.True(seconds[^1] <= summary.GetProperty("seconds").GetDouble() + 1);
        var card = JsonDocument.Parse(File.ReadAllText(Path.ChangeExtension(_fixture.Model, ".json"))).RootElement;
        Assert.Equal(16, card.GetProperty("hidden").GetInt32());
        Assert.StartsWith("rnnlm train", card.GetProperty("command").GetString());
        Assert.Equal(64, card.GetProperty("sha256").GetString()!.Length);
    }

    [Fact]
    public void TrainWithJsonReportsThePerplexitiesOfTheSavedModel()
    {
        var summary = JsonDocument.Parse(_fixture.TrainOutput.LastLine).RootElement;
        var model = ModelFile.Load(_fixture.Model);

        Assert.Equal(Math.Round(model.ScoreCorpus(TextCorpus.Read(_fixture.Valid)).Perplexity, 3), summary.GetProperty("validPerplexity").GetDouble());
        Assert.Equal(Math.Round(model.ScoreCorpus(TextCorpus.Read(_fixture.Train)).Perplexity, 3), summary.GetProperty("trainPerplexity").GetDouble());
        Assert.Equal(model.Shape.ParameterCount, summary.GetProperty("parameters").GetInt64());
        Assert.Equal(Convert.ToHexStringLower(SHA256.HashData(File.ReadAllBytes(_fixture.Model))), summary.GetProperty("sha256").GetString());
    }

    [Fact]
    public void EvalWithJsonGivesTheEngineCorpusScore()
    {
        var result = Run("eval", "--model", _fixture.Model, "--text", _fixture.Valid, "--json");
        Assert.Equal(0, result.ExitCode);
        var json = JsonDocument.Parse(result.LastLine).RootElement;
        var expected = ModelFile.Load(_fixture.Model).ScoreCorpus(TextCorpus.Read(_fixture.Valid));

        var lines = File.ReadAllLines(_fixture.Valid).Where(l => l.Trim().Length > 0).ToArray();
        Assert.Equal(lines.Length, json.GetProperty("sentences").GetInt32());
        Assert.Equal(lines.Sum(l => l.Split(' ', StringSplitOptions.RemoveEmptyEntries).Length + 1), json.GetProperty("tokens").GetInt32());
        Assert.Equal(expected.UnknownTokens, json.GetProperty("unknownTokens").GetInt64());
        Assert.Equal(expected.LogProb, json.GetProperty("logProb").GetDouble());
        Assert.Equal(expected.CrossEntropy, json.GetProperty("crossEntropyNats").GetDouble());
        Assert.Equal(Math.Round(expected.Perplexity, 4), json.GetProperty("perplexity").GetDouble());
    }

    [Fact]
    public void ScoringRawTextGivesTheTokensAndFiguresOfTheApisPath()
    {
        const string text = "The cat sees the red ball. A dog runs!";
        var result = Run("score", text, "--model", _fixture.Model);

        // POST /score {"text"} splits and tokenizes with BrownTokenizer.Sentences and scores each sentence with LanguageModel.Score.
        var model = ModelFile.Load(_fixture.Model);
        var sentences = BrownTokenizer.Sentences(text);
        Assert.Equal([["The", "cat", "sees", "the", "red", "ball", "."], ["A", "dog", "runs", "!"]], sentences);
        AssertPrintedScore(result, [.. sentences.Select(model.Score)]);
    }

    [Fact]
    public void ScoringPretokenizedTextSplitsOnWhiteSpaceOnlyAsTheApisTokensFieldDoes()
    {
        var result = Run("score", "the cat sees the red ball.\n a dog runs !", "--pretokenized", "--model", _fixture.Model);

        var model = ModelFile.Load(_fixture.Model);
        AssertPrintedScore(result, [model.Score(["the", "cat", "sees", "the", "red", "ball."]), model.Score(["a", "dog", "runs", "!"])]);
    }

    [Theory]
    [InlineData("The cat's ball.", new[] { "The", "cat's", "ball", "." }, new string[0])]
    [InlineData("The cat's ball.", new[] { "The", "cat's", "ball." }, new[] { "--pretokenized" })]
    [InlineData("", new string[0], new string[0])]
    public void NextPrintsTheEngineCandidatesForTheTokenizedPrefix(string prefix, string[] tokens, string[] options)
    {
        var result = Run(["next", prefix, "--top", "4", "--model", _fixture.Model, .. options]);

        var expected = ModelFile.Load(_fixture.Model).Next(tokens, 4);
        Assert.Equal(0, result.ExitCode);
        Assert.Equal(
            [.. expected.Candidates.Select(c => $"{c.Token,-20} {c.Probability,10:F6}"), $"P(</s>) = {expected.EndOfSentenceProbability:F6}"],
            Lines(result.Output));
    }

    [Fact]
    public void StreamReadsLinesAsOneRunningTextAndScoresASentenceAsScoreDoes()
    {
        string[][] lines = [["the", "cat", "sees"], ["the", "red", "ball", ".", "</s>"], ["a", "zyx", "dog"]];
        var result = RunWithInput(string.Join('\n', lines.Select(l => string.Join(' ', l))) + "\n", "stream", "--top", "3", "--model", _fixture.Model);

        var model = ModelFile.Load(_fixture.Model);
        var stream = model.BeginStream();
        var expected = new List<string>();
        foreach (var line in lines)
        {
            expected.AddRange(stream.Feed(line).Select(Printed));
            var next = stream.Next(3);
            expected.Add($"next: {string.Join("  ", next.Candidates.Select(c => $"{c.Token} {c.Probability:F4}"))}  (</s> {next.EndOfSentenceProbability:F4})");
        }

        expected.Add($"log-probability {stream.LogProb:F4} (natural log), perplexity {stream.Perplexity:F2} over 11 tokens in 1 sentences");
        Assert.Equal(0, result.ExitCode);
        var printed = Lines(result.Output);
        Assert.Equal(expected, printed);

        // The first sentence, fed in two lines with its </s>, prints what `score` prints for it.
        Assert.Equal(model.Score(["the", "cat", "sees", "the", "red", "ball", "."]).Tokens.Select(Printed), [.. printed[0..3], .. printed[4..9]]);
        Assert.Contains("<unk>", printed[11]);

        static string Printed(TokenScore t) => $"{t.Token,-20} {(t.IsUnknown ? "<unk>" : ""),-6} {t.LogProb,10:F4}";
    }

    [Theory]
    [InlineData("the dog's", new[] { "the", "dog's" }, new string[0])]
    [InlineData("the dog's", new[] { "the", "dog's" }, new[] { "--pretokenized" })]
    [InlineData("The red ball!", new[] { "The", "red", "ball", "!" }, new string[0])]
    public void GeneratePrintsTheTokenizedPrefixAndTheEngineSampleForTheSeed(string prefix, string[] tokens, string[] options)
    {
        var result = Run(["generate", "--prefix", prefix, "--tokens", "6", "--temperature", "0.8", "--top-k", "5", "--seed", "7", "--model", _fixture.Model, .. options]);

        var generation = ModelFile.Load(_fixture.Model).Generate(tokens, new SamplingOptions(MaxTokens: 6, Temperature: 0.8, TopK: 5, Seed: 7));
        Assert.Equal(0, result.ExitCode);
        Assert.Equal([string.Join(' ', tokens.Concat(generation.Tokens.Select(t => t.Token)))], Lines(result.Output));
    }

    [Fact]
    public void BenchTrainsTheGivenEpochsAndReportsTheEngineTrainersPerplexities()
    {
        var data = Path.GetDirectoryName(_fixture.Train)!;
        File.Copy(_fixture.Valid, Path.Combine(data, "test.txt"), overwrite: true);

        var result = Run("bench", "--data", data, "--hidden", "8", "--classes", "3", "--streams", "4", "--alpha", "0.1", "--bptt", "3",
            "--bptt-block", "5", "--seed", "2", "--min-count", "1", "--epochs", "2", "--threads", "1", "--json");

        Assert.Equal(0, result.ExitCode);
        var json = JsonDocument.Parse(result.LastLine).RootElement;
        var options = new TrainingOptions
        {
            Hidden = 8, Embedding = 8, Classes = 3, Streams = 4, Alpha = 0.1, Bptt = 3, BpttBlock = 5, Seed = 2, MinCount = 1, MaxEpochs = 2, MinImprovement = 1.0, Threads = 1,
        };
        var trained = new Trainer(options).Train(TextCorpus.Read(_fixture.Train), TextCorpus.Read(_fixture.Valid));
        Assert.Equal(2, json.GetProperty("epochs").GetInt32());
        Assert.Equal(8, json.GetProperty("hidden").GetInt32());
        Assert.Equal(4, json.GetProperty("streams").GetInt32());
        Assert.Equal(Math.Round(trained.ValidPerplexity, 2), json.GetProperty("validPerplexity").GetDouble());
        Assert.Equal(Math.Round(trained.Model.ScoreCorpus(TextCorpus.Read(_fixture.Valid)).Perplexity, 2), json.GetProperty("testPerplexity").GetDouble());
        Assert.True(json.GetProperty("wordsPerSecond").GetDouble() > 0);
        Assert.True(json.GetProperty("scoringTokensPerSecond1Thread").GetDouble() > 0);
    }

    [Fact]
    public void TrainingTwiceInSeparateProcessesWithTheSameSeedGivesTheSameModelBytes()
    {
        var again = Path.Combine(Path.GetDirectoryName(_fixture.Model)!, "again.rnnlm");
        var result = Run("train", "--train", _fixture.Train, "--valid", _fixture.Valid, "--out", again, "--hidden", "16", "--output", "classes", "--classes", "3",
            "--streams", "4", "--alpha", "0.5", "--max-epochs", "2", "--min-count", "1", "--threads", "2");
        Assert.Equal(0, result.ExitCode);
        Assert.Equal(File.ReadAllBytes(_fixture.Model), File.ReadAllBytes(again));
    }

    [Fact]
    public void DirectConnectionsGiveTheSameModelBytesInEveryProcessAndTheCardSaysThem()
    {
        // The features' hashes are part of the model: a process-salted hash would give each run other bytes.
        var directory = Path.GetDirectoryName(_fixture.Model)!;
        string[] Train(string path, int threads) =>
            ["train", "--train", _fixture.Train, "--valid", _fixture.Valid, "--out", path, "--hidden", "16", "--output", "classes", "--classes", "3",
             "--streams", "4", "--alpha", "0.5", "--max-epochs", "2", "--min-count", "1", "--threads", $"{threads}", "--direct", "5000", "--direct-order", "4"];
        var (first, second) = (Path.Combine(directory, "direct-1.rnnlm"), Path.Combine(directory, "direct-2.rnnlm"));
        Assert.Equal(0, Run(Train(first, 1)).ExitCode);
        Assert.Equal(0, Run(Train(second, 2)).ExitCode);
        Assert.Equal(File.ReadAllBytes(first), File.ReadAllBytes(second));
        Assert.NotEqual(File.ReadAllBytes(_fixture.Model), File.ReadAllBytes(first));

        var model = ModelFile.Load(first);
        Assert.Equal((5000, 4), (model.Shape.DirectSize, model.Shape.DirectOrder));
        var card = JsonDocument.Parse(File.ReadAllText(Path.ChangeExtension(first, ".json"))).RootElement;
        Assert.EndsWith("maximum-entropy direct connections (order 4, 5,000 entries)", card.GetProperty("architecture").GetString());
        Assert.Equal(5000, card.GetProperty("hyperparameters").GetProperty("direct").GetInt32());
        Assert.Equal(4, card.GetProperty("hyperparameters").GetProperty("directOrder").GetInt32());
        Assert.Equal(model.Shape.ParameterCount, card.GetProperty("parameters").GetInt64());
    }

    [Fact]
    public void TrainingWithoutValidTextHoldsOutTheSeededSplitTheJobsApiUses()
    {
        var model = Path.Combine(Path.GetDirectoryName(_fixture.Model)!, "held-out.rnnlm");
        var result = Run("train", "--train", _fixture.Train, "--valid-fraction", "0.2", "--out", model, "--hidden", "16", "--output", "classes", "--classes", "3",
            "--streams", "4", "--alpha", "0.5", "--max-epochs", "2", "--min-count", "1", "--seed", "5", "--json");

        Assert.Equal(0, result.ExitCode);
        var (train, valid) = HeldOut.Split(TextCorpus.Read(_fixture.Train), 0.2, seed: 5);
        var saved = ModelFile.Load(model);
        var json = JsonDocument.Parse(result.LastLine).RootElement;
        Assert.Equal(Math.Round(saved.ScoreCorpus([.. valid]).Perplexity, 3), json.GetProperty("validPerplexity").GetDouble());
        Assert.Equal(Math.Round(saved.ScoreCorpus([.. train]).Perplexity, 3), json.GetProperty("trainPerplexity").GetDouble());
        var card = JsonDocument.Parse(File.ReadAllText(ModelCard.PathFor(model))).RootElement;
        Assert.Equal("train.txt (240 sentences), valid held out 20% of train.txt (60 sentences)", card.GetProperty("trainingData").GetString());
    }

    [Fact]
    public void PrepareTextTokenizesRawFilesInOrderAsTheApiDoesOneSentenceALine()
    {
        var folder = Directory.CreateTempSubdirectory("rnnlm-prepare-text-").FullName;
        try
        {
            string[] texts = ["CHAPTER 1. Loomings.\n\nCall me Ishmael. Some years ago\u2014never mind how long\u2014I went to sea.", "\"Mr. Smith said so,\" she said. It's 4:30 p.m. now!"];
            var inputs = texts.Select((text, i) => Path.Combine(folder, $"in{i}.txt")).ToArray();
            foreach (var (path, text) in inputs.Zip(texts))
            {
                File.WriteAllText(path, text);
            }

            var output = Path.Combine(folder, "out", "text.txt");
            var result = Run(["prepare-text", .. inputs, "--out", output]);

            Assert.Equal(0, result.ExitCode);
            string[] expected = [.. texts.SelectMany(BrownTokenizer.Sentences).Select(s => string.Join(' ', s))];
            Assert.Equal(expected, File.ReadAllLines(output));
            Assert.Equal("Call me Ishmael .", expected[2]);
            var bytes = File.ReadAllBytes(output);
            Assert.Equal($"{output}: {expected.Length} sentences, {expected.Sum(l => l.Split(' ').Length)} tokens, sha256 {Convert.ToHexStringLower(SHA256.HashData(bytes))}", result.LastLine);
        }
        finally
        {
            Directory.Delete(folder, recursive: true);
        }
    }

    [Theory]
    [InlineData("gru", "RNN with a GRU hidden layer")]
    [InlineData("lstm", "RNN with an LSTM hidden layer (no peepholes)")]
    public void TrainWithACellTrainsThatCellAndTheCardSaysSo(string cell, string architecture)
    {
        var model = Path.Combine(Path.GetDirectoryName(_fixture.Model)!, $"{cell}.rnnlm");
        var result = Run("train", "--train", _fixture.Train, "--valid", _fixture.Valid, "--out", model, "--hidden", "16", "--output", "classes", "--classes", "3",
            "--streams", "4", "--alpha", "0.5", "--max-epochs", "2", "--min-count", "1", "--cell", cell, "--json");

        Assert.Equal(0, result.ExitCode);
        var saved = ModelFile.Load(model);
        Assert.Equal(cell, saved.Shape.Cell.ToString().ToLowerInvariant());
        var card = JsonDocument.Parse(File.ReadAllText(ModelCard.PathFor(model))).RootElement;
        Assert.Equal($"{architecture}, class-factorized softmax (3 classes)", card.GetProperty("architecture").GetString());
        Assert.Equal(cell, card.GetProperty("hyperparameters").GetProperty("cell").GetString());
        Assert.Contains("--cell " + cell, card.GetProperty("command").GetString());
        var json = JsonDocument.Parse(result.LastLine).RootElement;
        Assert.Equal(Math.Round(saved.ScoreCorpus(TextCorpus.Read(_fixture.Valid)).Perplexity, 3), json.GetProperty("validPerplexity").GetDouble());
    }

    [Fact]
    public void TrainWithATreeOutputSavesATreeModelThatEvalScoresAsTheEngineDoes()
    {
        var model = Path.Combine(Path.GetDirectoryName(_fixture.Model)!, "tree.rnnlm");
        var result = Run("train", "--train", _fixture.Train, "--valid", _fixture.Valid, "--out", model, "--hidden", "16", "--output", "tree",
            "--streams", "4", "--alpha", "0.5", "--max-epochs", "2", "--min-count", "1", "--json");

        Assert.Equal(0, result.ExitCode);
        var saved = ModelFile.Load(model);
        Assert.Equal((OutputKind.Tree, 0), (saved.Shape.Output, saved.Shape.ClassCount));
        var card = JsonDocument.Parse(File.ReadAllText(ModelCard.PathFor(model))).RootElement;
        Assert.Equal("Elman RNN (sigmoid hidden layer), hierarchical softmax (Huffman tree)", card.GetProperty("architecture").GetString());
        var eval = Run("eval", "--model", model, "--text", _fixture.Valid, "--json");
        Assert.Equal(0, eval.ExitCode);
        var expected = saved.ScoreCorpus(TextCorpus.Read(_fixture.Valid));
        Assert.Equal(expected.LogProb, JsonDocument.Parse(eval.LastLine).RootElement.GetProperty("logProb").GetDouble());
        Assert.True(expected.Perplexity < saved.Vocabulary.Count, $"perplexity {expected.Perplexity} after training");
    }

    [Fact]
    public void TrainTakesTheOptimiserClippingAndDropoutAndTheCardSaysSo()
    {
        var model = Path.Combine(Path.GetDirectoryName(_fixture.Model)!, "adagrad.rnnlm");
        var result = Run("train", "--train", _fixture.Train, "--valid", _fixture.Valid, "--out", model, "--hidden", "16", "--output", "classes", "--classes", "3",
            "--streams", "4", "--alpha", "0.1", "--max-epochs", "2", "--min-count", "1", "--cell", "lstm", "--optimizer", "adagrad", "--clip-norm", "5", "--dropout", "0.25", "--json");

        Assert.Equal(0, result.ExitCode);
        var card = JsonDocument.Parse(File.ReadAllText(ModelCard.PathFor(model))).RootElement;
        var hyperparameters = card.GetProperty("hyperparameters");
        Assert.Equal(("adagrad", 5.0, 0.25), (hyperparameters.GetProperty("optimizer").GetString(), hyperparameters.GetProperty("clipNorm").GetDouble(), hyperparameters.GetProperty("dropout").GetDouble()));
        Assert.Contains("--optimizer adagrad --clip-norm 5 --dropout 0.25", card.GetProperty("command").GetString());
        var trainer = JsonDocument.Parse(ModelFile.Load(model).Metadata).RootElement.GetProperty("trainer");
        Assert.Equal("Adagrad", trainer.GetProperty("optimizer").GetString());
    }

    [Theory]
    [InlineData("prepare-text /nonexistent/raw.txt --out /tmp/x.txt", "nonexistent")]
    [InlineData("prepare-text EMPTY --out /tmp/x.txt", "the input holds no sentence.")]
    [InlineData("eval --model /nonexistent/model.rnnlm --text /nonexistent/text.txt", "does not exist")]
    [InlineData("score \"   \" --model MODEL", "empty")]
    [InlineData("next the --top 0 --model MODEL", "--top")]
    [InlineData("eval --model CORRUPT --text VALID", "checksum")]
    [InlineData("eval --model TEXTFILE --text VALID", "magic")]
    [InlineData("train --train /nonexistent.txt --valid VALID --out /tmp/x.rnnlm", "does not exist")]
    [InlineData("train --train VALID --valid VALID --out /tmp/x.rnnlm --hidden 0", "--hidden: Must be from 1 to 1024; got 0.")]
    [InlineData("train --train VALID --valid VALID --out /tmp/x.rnnlm --cell rnn", "--cell: Must be sigmoid, gru or lstm; got 'rnn'.")]
    [InlineData("train --train VALID --valid VALID --out /tmp/x.rnnlm --output fancy", "--output: Must be full, classes or tree; got 'fancy'.")]
    [InlineData("train --train VALID --valid VALID --out /tmp/x.rnnlm --output tree --tie", "--tie: Cannot apply to a tree output")]
    [InlineData("train --train VALID --valid VALID --out /tmp/x.rnnlm --output tree --direct 1000", "--direct: Not supported with a tree output")]
    [InlineData("train --train VALID --valid VALID --out /tmp/x.rnnlm --optimizer adam", "--optimizer: Must be sgd or adagrad; got 'adam'.")]
    [InlineData("train --train VALID --valid VALID --out /tmp/x.rnnlm --dropout 0.95", "--dropout: Must be from 0 to 0.9; got 0.95.")]
    [InlineData("train --train VALID --valid VALID --out /tmp/x.rnnlm --clip-norm -1", "--clip-norm: Must be from 0 to 1000000; got -1.")]
    [InlineData("train --train VALID --valid VALID --valid-fraction 0.2 --out /tmp/x.rnnlm", "Give --valid or --valid-fraction, not both.")]
    [InlineData("train --train VALID --valid-fraction 0.6 --out /tmp/x.rnnlm", "--valid-fraction: Must be greater than 0 and at most 0.5. Got 0.6.")]
    [InlineData("prepare-brown /nonexistent/package /tmp/out", "nonexistent")]
    [InlineData("eval --bogus-option", "bogus")]
    [InlineData("generate --temperature 0 --model MODEL", "emperature")]
    public void BadInputGetsOneLineAndANonZeroExitCodeNeverAStackTrace(string commandLine, string expected)
    {
        var args = SplitArgs(commandLine.Replace("EMPTY", _fixture.Empty).Replace("CORRUPT", _fixture.Corrupt).Replace("TEXTFILE", _fixture.Valid).Replace("MODEL", _fixture.Model).Replace("VALID", _fixture.Valid));
        AssertOneLineError(Run(args), expected);
    }

    /// <summary>A failure as every command must report one: a non-zero exit code and one line on standard error holding <paramref name="expected"/>, no stack trace.</summary>
    internal static void AssertOneLineError(ProcessResult result, string expected)
    {
        Assert.NotEqual(0, result.ExitCode);
        var errorLines = result.Error.Split('\n', StringSplitOptions.RemoveEmptyEntries);
        Assert.Single(errorLines);
        Assert.Contains(expected, errorLines[0]);
        Assert.DoesNotContain("   at ", result.Error + result.Output);
    }

    private static string[] SplitArgs(string commandLine)
    {
        var args = new List<string>();
        var quoted = commandLine.Split('"');
        for (var i = 0; i < quoted.Length; i++)
        {
            if (i % 2 == 1)
            {
                args.Add(quoted[i]);
            }
            else
            {
                args.AddRange(quoted[i].Split(' ', StringSplitOptions.RemoveEmptyEntries));
            }
        }

        return [.. args];
    }

    // Every token line and the total line as `rnnlm score` prints them, from the engine's scores.
    private static void AssertPrintedScore(ProcessResult result, SentenceScore[] scores)
    {
        Assert.Equal(0, result.ExitCode);
        var tokens = scores.SelectMany(s => s.Tokens).ToArray();
        var logProb = scores.Sum(s => s.LogProb);
        var perplexity = Math.Exp(-logProb / tokens.Length);
        var total = $"log-probability {logProb:F4} (natural log), perplexity {perplexity:F2} over {tokens.Length} tokens" + (scores.Length > 1 ? $" in {scores.Length} sentences" : "");
        Assert.Equal([.. tokens.Select(t => $"{t.Token,-20} {(t.IsUnknown ? "<unk>" : ""),-6} {t.LogProb,10:F4}"), total], Lines(result.Output));
    }

    private static string[] Lines(string output) => output.Split('\n', StringSplitOptions.RemoveEmptyEntries);

    public static ProcessResult Run(params string[] args) => RunWithInput(null, args);

    /// <summary>Runs rnnlm with <paramref name="input"/> (or nothing) on its standard input.</summary>
    public static ProcessResult RunWithInput(string? input, params string[] args)
    {
        var start = new ProcessStartInfo("dotnet")
        {
            RedirectStandardOutput = true,
            RedirectStandardError = true,
            RedirectStandardInput = true,
            UseShellExecute = false,
        };
        start.ArgumentList.Add(Path.Combine(AppContext.BaseDirectory, "rnnlm.dll"));
        foreach (var arg in args)
        {
            start.ArgumentList.Add(arg);
        }

        using var process = Process.Start(start)!;
        if (input is not null)
        {
            process.StandardInput.Write(input);
        }

        process.StandardInput.Close();
        var output = process.StandardOutput.ReadToEndAsync();
        var error = process.StandardError.ReadToEndAsync();
        if (!process.WaitForExit(TimeSpan.FromMinutes(2)))
        {
            process.Kill(entireProcessTree: true);
            throw new TimeoutException($"rnnlm {string.Join(' ', args)} did not finish");
        }

        return new ProcessResult(process.ExitCode, output.Result, error.Result);
    }

    public sealed record ProcessResult(int ExitCode, string Output, string Error)
    {
        public string LastLine => Output.Split('\n', StringSplitOptions.RemoveEmptyEntries)[^1];
    }

    /// <summary>A tiny model trained once through the command line, shared by the tests.</summary>
    public sealed class TrainedModel : IDisposable
    {
        private readonly string _directory = Directory.CreateTempSubdirectory("rnnlm-cli-").FullName;

        public TrainedModel()
        {
            var random = new Random(1);
            string[] words = ["the", "cat", "dog", "sees", "ball", "a", "red", "runs", "."];
            string Sentence() => string.Join(' ', Enumerable.Range(0, 3 + random.Next(5)).Select(_ => words[random.Next(words.Length)]));
            Train = Path.Combine(_directory, "train.txt");
            Valid = Path.Combine(_directory, "valid.txt");
            File.WriteAllLines(Train, Enumerable.Range(0, 300).Select(_ => Sentence()));
            File.WriteAllLines(Valid, Enumerable.Range(0, 40).Select(_ => Sentence()));
            Model = Path.Combine(_directory, "tiny.rnnlm");
            TrainOutput = Run("train", "--train", Train, "--valid", Valid, "--out", Model, "--hidden", "16", "--output", "classes", "--classes", "3",
                "--streams", "4", "--alpha", "0.5", "--max-epochs", "2", "--min-count", "1", "--json");
            Corrupt = Path.Combine(_directory, "corrupt.rnnlm");
            var bytes = File.ReadAllBytes(Model);
            bytes[^40] ^= 0x55;
            File.WriteAllBytes(Corrupt, bytes);
            Empty = Path.Combine(_directory, "empty.txt");
            File.WriteAllText(Empty, "");
        }

        public string Train { get; }

        public string Valid { get; }

        public string Model { get; }

        public string Corrupt { get; }

        public string Empty { get; }

        public ProcessResult TrainOutput { get; }

        public void Dispose() => Directory.Delete(_directory, recursive: true);
    }
}
