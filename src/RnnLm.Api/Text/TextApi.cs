using System.ComponentModel;
using Microsoft.AspNetCore.Http.HttpResults;
using RnnLm.Api.Infrastructure;
using RnnLm.Api.Models;
using RnnLm.Engine.Text;

namespace RnnLm.Api.Text;

[Description("Raw text to split into sentences and tokens.")]
public sealed record TokenizeRequest : IDocumentedExample<TokenizeRequest>
{
    [Description("Any English text. Sentences end at . ! ? followed by a capital letter or a quote, and at blank lines.")]
    public string Text { get; init; } = "";

    public static TokenizeRequest Example => new() { Text = "\"I don't know,\" said Mr. Allen of the U.S. Senate. The jury's report cost $1,000." };
}

[Description("The text as the model sees it.")]
public sealed record TokenizeResponse(
    [property: Description("Each sentence as its list of tokens.")] IReadOnlyList<string[]> Sentences,
    [property: Description("Number of sentences.")] int SentenceCount,
    [property: Description("Number of tokens, </s> not included.")] int TokenCount,
    [property: Description("Distinct tokens the model (the active one, or the one model=ID names) does not know: they would be scored as <unk>.")] IReadOnlyList<string> OutOfVocabulary);

public static class TextApi
{
    public static IEndpointRouteBuilder MapText(this IEndpointRouteBuilder app)
    {
        var group = app.MapGroup("/").WithDescribedTag("Text", "How raw text is split into the sentences and tokens the model reads.");
        group.MapPost("tokenize", Tokenize)
            .WithName("Tokenize")
            .WithSummary("Split text into sentences and tokens the way the model reads it")
            .WithDescription("Applies the Brown-corpus tokenizer used by /score, /next and /generate: punctuation split off, double quotes as `` and '', "
                + "contractions and possessives kept whole (don't, Atlanta's), hyphenated words, numbers (1,000, 3.5) and abbreviations (Mr., U.S.) kept whole, case kept. "
                + "Also lists the tokens the model does not know: the active one, or the one model=ID names.")
            .ProducesProblem(StatusCodes.Status409Conflict)
            .ProducesProblem(StatusCodes.Status413PayloadTooLarge)
            .WithExample(body: TokenizeRequest.Example);
        return app;
    }

    public static Results<Ok<TokenizeResponse>, ValidationProblem> Tokenize(
        TokenizeRequest request, [Description(ModelParameter.Description)] string? model, ModelRegistry models)
    {
        var errors = new ValidationErrors();
        if (!errors.CheckText("text", request.Text))
        {
            return TypedResults.ValidationProblem(errors.ToDictionary(), title: "The text cannot be tokenized.");
        }

        var vocabulary = models.Resolve(model).Model.Vocabulary;
        var sentences = BrownTokenizer.Sentences(request.Text);
        var unknown = sentences.SelectMany(s => s).Where(t => !vocabulary.Contains(t)).Distinct(StringComparer.Ordinal).Take(1000).ToArray();
        return TypedResults.Ok(new TokenizeResponse(sentences, sentences.Count, sentences.Sum(s => s.Length), unknown));
    }
}
