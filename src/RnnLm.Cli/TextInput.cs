using System.CommandLine;
using RnnLm.Engine.Data;
using RnnLm.Engine.Text;

namespace RnnLm.Cli;

/// <summary>
/// How text typed on the command line becomes tokens. By default it is raw text, tokenized by the Brown tokenizer that
/// the HTTP API runs on <c>text</c> and <c>prefix</c>, so both shells score a raw sentence the same way; with
/// <c>--pretokenized</c> it is split on white space only, like the API's <c>tokens</c> field and the files eval reads.
/// </summary>
internal sealed class TextInput
{
    public Option<bool> Pretokenized { get; } = new("--pretokenized")
    {
        Description = "The text is already tokenized (one sentence a line, tokens separated by white space, as in data/brown/*.txt): "
            + "split it on white space only instead of tokenizing it like the HTTP API",
    };

    /// <summary>The sentences of <paramref name="text"/>, as <c>POST /score {"text": ...}</c> splits and tokenizes them; pretokenized: one a line.</summary>
    /// <exception cref="CliException">The text holds no token.</exception>
    public IReadOnlyList<string[]> Sentences(ParseResult parse, string text)
    {
        var sentences = parse.GetValue(Pretokenized) ? TextCorpus.Parse(text.Split('\n')) : BrownTokenizer.Sentences(text);
        return sentences.Count > 0 ? sentences : throw new CliException("the text is empty.");
    }

    /// <summary>The tokens of a prefix within one sentence, as <c>GET /next?prefix=...</c> tokenizes it; pretokenized: split on white space. Empty is the sentence start.</summary>
    public string[] Prefix(ParseResult parse, string? text) =>
        string.IsNullOrWhiteSpace(text) ? [] : parse.GetValue(Pretokenized) ? TextCorpus.Tokens(text) : BrownTokenizer.Tokenize(text);
}
