using System.CommandLine;
using RnnLm.Engine.Model;

namespace RnnLm.Cli;

/// <summary>
/// <c>rnnlm stream</c>: the engine's streaming state (what the HTTP API's sessions keep) on standard input. Each line's tokens
/// are read in one call; the model's state carries over from line to line, and <c>&lt;/s&gt;</c> ends a sentence.
/// </summary>
internal static class StreamCommand
{
    public static Command Create()
    {
        var model = Cli.ModelOption();
        var top = new Option<int>("--top") { Description = "How many next words to print after each line (0: none)", DefaultValueFactory = _ => 5 };
        var command = new Command("stream", "Read tokens from standard input a line at a time (split on white space, used as given; </s> ends a sentence): "
            + "each token's log-probability given everything before it in its sentence, then the next words. The state carries over from line to line, "
            + "so each line costs its own tokens only, and a sentence fed with its </s> gets the log-probabilities `score` gives it.") { model, top };
        command.SetAction(parse =>
        {
            var k = parse.GetValue(top);
            if (k < 0)
            {
                throw new CliException("--top must be 0 or more.");
            }

            var stream = Cli.LoadModel(parse.GetRequiredValue(model)).BeginStream();
            for (var line = Console.In.ReadLine(); line is not null; line = Console.In.ReadLine())
            {
                var tokens = line.Split((char[]?)null, StringSplitOptions.RemoveEmptyEntries);
                if (tokens.Contains(Vocabulary.StartOfSentenceToken))
                {
                    Console.Error.WriteLine($"A line holds {Vocabulary.StartOfSentenceToken}, which is never input: a sentence starts after {Vocabulary.EndOfSentenceToken}. Line skipped.");
                    continue;
                }

                foreach (var t in stream.Feed(tokens))
                {
                    Console.WriteLine($"{t.Token,-20} {(t.IsUnknown ? "<unk>" : ""),-6} {t.LogProb,10:F4}");
                }

                if (k > 0)
                {
                    var next = stream.Next(k);
                    Console.WriteLine($"next: {string.Join("  ", next.Candidates.Select(c => $"{c.Token} {c.Probability:F4}"))}  (</s> {next.EndOfSentenceProbability:F4})");
                }
            }

            Console.WriteLine($"log-probability {stream.LogProb:F4} (natural log), perplexity {stream.Perplexity:F2} over {stream.TokenCount} tokens in {stream.SentenceCount} sentences");
            return 0;
        });
        return command;
    }
}
