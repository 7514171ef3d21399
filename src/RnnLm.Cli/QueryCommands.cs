using System.CommandLine;
using System.Diagnostics;
using System.Text.Json;
using RnnLm.Engine.Data;
using RnnLm.Engine.Inference;

namespace RnnLm.Cli;

internal static class QueryCommands
{
    public static Command Eval()
    {
        var model = Cli.ModelOption();
        var text = new Option<string>("--text") { Description = "Tokenized sentences, one a line", Required = true };
        var perToken = new Option<bool>("--per-token") { Description = "Print every token's natural-log probability" };
        var threads = Cli.ThreadsOption(Environment.ProcessorCount);
        var json = Cli.JsonOption();
        var ngram = new NGramInput();
        var command = new Command("eval", "Perplexity of a model on a text (sentences independent, </s> predicted)") { model, text, perToken, threads, json, ngram.NGram, ngram.Lambda };
        command.SetAction(parse =>
        {
            var lm = Cli.LoadModel(parse.GetRequiredValue(model));
            var (mixture, lambda) = ngram.Load(parse, lm);
            var sentences = TextCorpus.Read(parse.GetRequiredValue(text));
            CorpusScore ScoreAll(IReadOnlyList<IReadOnlyList<string>> all) => mixture?.ScoreCorpus(all, lambda, parse.GetValue(threads)) ?? lm.ScoreCorpus(all, parse.GetValue(threads));
            if (parse.GetValue(perToken))
            {
                foreach (var sentence in sentences)
                {
                    var score = mixture?.Score(sentence, lambda) ?? lm.Score(sentence);
                    Console.WriteLine(string.Join(' ', score.Tokens.Select(t => $"{t.Token}{(t.IsUnknown ? "(<unk>)" : "")}:{t.LogProb:F4}")));
                }
            }

            // Touch every kernel once first, so tokens/s measures the scoring, not the compiler.
            ScoreAll([.. sentences.Take(50)]);
            var clock = Stopwatch.StartNew();
            var result = ScoreAll(sentences);
            var seconds = clock.Elapsed.TotalSeconds;
            if (parse.GetValue(json))
            {
                var figures = Cli.Figures(result, seconds);
                figures["threads"] = parse.GetValue(threads);
                if (mixture is not null)
                {
                    figures["lambda"] = lambda;
                    figures["ngram"] = Path.GetFileName(parse.GetRequiredValue(ngram.NGram));
                }

                Console.WriteLine(JsonSerializer.Serialize(figures));
            }
            else
            {
                Console.WriteLine($"{Cli.Describe(result)}{NGramInput.Describe(mixture, lambda, parse.GetValue(ngram.NGram))}, {result.Tokens / seconds:N0} tokens/s");
            }

            return 0;
        });
        return command;
    }

    public static Command Score()
    {
        var model = Cli.ModelOption();
        var input = new TextInput();
        var text = new Argument<string>("text") { Description = "Raw text: split into sentences and tokenized as the HTTP API's POST /score does" };
        var ngram = new NGramInput();
        var command = new Command("score", "Per-token log-probabilities and the perplexity of text (one sentence or several)") { text, model, input.Pretokenized, ngram.NGram, ngram.Lambda };
        command.SetAction(parse =>
        {
            var sentences = input.Sentences(parse, parse.GetRequiredValue(text));
            var lm = Cli.LoadModel(parse.GetRequiredValue(model));
            var (mixture, lambda) = ngram.Load(parse, lm);
            var scores = sentences.Select(s => mixture?.Score(s, lambda) ?? lm.Score(s)).ToArray();
            foreach (var t in scores.SelectMany(s => s.Tokens))
            {
                Console.WriteLine($"{t.Token,-20} {(t.IsUnknown ? "<unk>" : ""),-6} {t.LogProb,10:F4}");
            }

            // Token-weighted over all sentences, as the API's top-level figures are.
            var total = CorpusScore.Of(scores);
            Console.WriteLine($"log-probability {total.LogProb:F4} (natural log), perplexity {total.Perplexity:F2} over {total.Tokens} tokens"
                + (total.Sentences > 1 ? $" in {total.Sentences} sentences" : "") + NGramInput.Describe(mixture, lambda, parse.GetValue(ngram.NGram)));
            return 0;
        });
        return command;
    }

    public static Command Next()
    {
        var model = Cli.ModelOption();
        var input = new TextInput();
        var prefix = new Argument<string>("prefix") { Description = "The text so far, tokenized as the HTTP API's GET /next does (empty for the sentence start)", DefaultValueFactory = _ => "" };
        var top = new Option<int>("--top") { Description = "How many candidates", DefaultValueFactory = _ => 10 };
        var ngram = new NGramInput();
        var command = new Command("next", "The most probable next words after a prefix") { prefix, model, top, input.Pretokenized, ngram.NGram, ngram.Lambda };
        command.SetAction(parse =>
        {
            var k = parse.GetValue(top);
            if (k < 1)
            {
                throw new CliException("--top must be at least 1.");
            }

            var lm = Cli.LoadModel(parse.GetRequiredValue(model));
            var (mixture, lambda) = ngram.Load(parse, lm);
            var tokens = input.Prefix(parse, parse.GetValue(prefix));
            var next = mixture?.Next(tokens, k, lambda) ?? lm.Next(tokens, k);
            foreach (var c in next.Candidates)
            {
                Console.WriteLine($"{c.Token,-20} {c.Probability,10:F6}");
            }

            Console.WriteLine($"P(</s>) = {next.EndOfSentenceProbability:F6}");
            return 0;
        });
        return command;
    }

    public static Command Generate()
    {
        var model = Cli.ModelOption();
        var input = new TextInput();
        var prefix = new Option<string>("--prefix") { Description = "Text to continue, tokenized as the HTTP API's POST /generate does", DefaultValueFactory = _ => "" };
        var tokens = new Option<int>("--tokens") { Description = "Most tokens to add", DefaultValueFactory = _ => 20 };
        var temperature = new Option<double>("--temperature") { Description = "Sampling temperature", DefaultValueFactory = _ => 1.0 };
        var topK = new Option<int>("--top-k") { Description = "Sample among the k most probable words (0: all)", DefaultValueFactory = _ => 0 };
        var seed = new Option<int>("--seed") { Description = "Random seed", DefaultValueFactory = _ => 1 };
        var command = new Command("generate", "Continue a prefix by sampling") { model, prefix, tokens, temperature, topK, seed, input.Pretokenized };
        command.SetAction(parse =>
        {
            var options = new SamplingOptions(parse.GetValue(tokens), parse.GetValue(temperature), parse.GetValue(topK), parse.GetValue(seed));
            var lm = Cli.LoadModel(parse.GetRequiredValue(model));
            var text = input.Prefix(parse, parse.GetValue(prefix));
            var generation = lm.Generate(text, options);
            Console.WriteLine(string.Join(' ', text.Concat(generation.Tokens.Select(t => t.Token))));
            return 0;
        });
        return command;
    }
}
