using System.Globalization;
using System.Text;
using System.Text.RegularExpressions;
using Microsoft.AspNetCore.WebUtilities;
using Microsoft.OpenApi;
using Swashbuckle.AspNetCore.SwaggerGen;

namespace RnnLm.Api.Infrastructure;

// The rules the OpenAPI linters (redocly, spectral:oas; see .ci/openapi-lint) hold the document to, each kept by one filter
// for every operation, so that endpoints added later keep to them without a word of their own.

/// <summary>A tag with the sentence that describes it, declared once where a feature maps its routes.</summary>
public sealed record TagDescriptionMetadata(string Name, string Description);

public static class TagSetup
{
    /// <summary>Tags the endpoints with <paramref name="name"/>, which the document describes with <paramref name="description"/>.</summary>
    public static TBuilder WithDescribedTag<TBuilder>(this TBuilder builder, string name, string description)
        where TBuilder : IEndpointConventionBuilder =>
        builder.WithTags(name).WithMetadata(new TagDescriptionMetadata(name, description));
}

/// <summary>Every tag an operation uses is listed at the top of the document with its description.</summary>
internal sealed class TagDescriptionDocumentFilter : IDocumentFilter
{
    public void Apply(OpenApiDocument swaggerDoc, DocumentFilterContext context)
    {
        var descriptions = context.ApiDescriptions.SelectMany(d => d.ActionDescriptor.EndpointMetadata.OfType<TagDescriptionMetadata>())
            .DistinctBy(t => t.Name).ToDictionary(t => t.Name, t => t.Description);
        var used = swaggerDoc.Paths.Values.SelectMany(p => p.Operations?.Values.AsEnumerable() ?? []).SelectMany(o => o.Tags?.AsEnumerable() ?? []).Select(t => t.Name).OfType<string>();
        swaggerDoc.Tags = new HashSet<OpenApiTag>(
            used.Distinct().Order(StringComparer.Ordinal).Select(name => new OpenApiTag { Name = name, Description = descriptions.GetValueOrDefault(name) }));
    }
}

/// <summary>
/// Every operation declares the 400 that the shared pipeline answers to any request it cannot read (a malformed header,
/// query string or body), as problem details naming the field.
/// </summary>
internal sealed class CommonResponsesOperationFilter : IOperationFilter
{
    public void Apply(OpenApiOperation operation, OperationFilterContext context)
    {
        operation.Responses ??= [];
        Declare(operation, context, StatusCodes.Status400BadRequest, typeof(HttpValidationProblemDetails));
    }

    /// <summary>Adds a problem-details response for <paramref name="status"/> unless the operation declares one already.</summary>
    internal static void Declare(OpenApiOperation operation, OperationFilterContext context, int status, Type problem)
    {
        var code = status.ToString(CultureInfo.InvariantCulture);
        operation.Responses ??= [];
        if (operation.Responses.ContainsKey(code))
        {
            return;
        }

        operation.Responses[code] = new OpenApiResponse
        {
            Description = ReasonPhrases.GetReasonPhrase(status),
            Content = new Dictionary<string, IOpenApiMediaType>
            {
                ["application/problem+json"] = new OpenApiMediaType { Schema = context.SchemaGenerator.GenerateSchema(problem, context.SchemaRepository) },
            },
        };
    }
}

/// <summary>
/// A nullable property that refers to another schema is written <c>anyOf: [{$ref}, null]</c>: OpenAPI 3.0's <c>nullable</c> needs a
/// <c>type</c> beside it, and a <c>type</c> beside <c>allOf: [{$ref}]</c> would still refuse null, since the referred schema does.
/// </summary>
internal sealed class NullableReferenceDocumentFilter : IDocumentFilter
{
    public void Apply(OpenApiDocument swaggerDoc, DocumentFilterContext context)
    {
        foreach (var schema in swaggerDoc.Components?.Schemas?.Values.OfType<OpenApiSchema>() ?? [])
        {
            Rewrite(schema, []);
        }
    }

    private static void Rewrite(OpenApiSchema schema, HashSet<OpenApiSchema> seen)
    {
        if (!seen.Add(schema))
        {
            return;
        }

        if (schema.Type == JsonSchemaType.Null && schema.AllOf is [OpenApiSchemaReference reference])
        {
            schema.Type = null;
            schema.AllOf = null;
            // null! is System.Text.Json's null node: the only value of this branch.
            schema.AnyOf = [reference, new OpenApiSchema { Type = JsonSchemaType.Object | JsonSchemaType.Null, Enum = [null!] }];
        }

        IEnumerable<IOpenApiSchema?> children = [.. schema.Properties?.Values ?? [], schema.Items, schema.AdditionalProperties, .. schema.AllOf ?? [], .. schema.AnyOf ?? [], .. schema.OneOf ?? []];
        foreach (var child in children.OfType<OpenApiSchema>())
        {
            Rewrite(child, seen);
        }
    }
}

/// <summary>
/// Descriptions and summaries are CommonMark, where <c>&lt;unk&gt;</c> or <c>&lt;/s&gt;</c> would be read as HTML and vanish
/// from Swagger UI: every such tag outside a code span becomes a code span.
/// </summary>
internal sealed partial class MarkdownTextDocumentFilter : IDocumentFilter
{
    public void Apply(OpenApiDocument swaggerDoc, DocumentFilterContext context) => new OpenApiWalker(new Escaper()).Walk(swaggerDoc);

    /// <summary>The text with every HTML-like tag outside a code span written as code.</summary>
    internal static string? Escape(string? text)
    {
        if (text is null || !text.Contains('<', StringComparison.Ordinal))
        {
            return text;
        }

        var result = new StringBuilder(text.Length + 8);
        var position = 0;
        while (position < text.Length)
        {
            var (start, end) = NextCodeSpan(text, position);
            result.Append(Tag().Replace(text[position..start], "`$0`"));
            result.Append(text, start, end - start);
            position = end;
        }

        return result.ToString();
    }

    // The next code span at or after `from` (CommonMark: a run of n backticks up to the next run of exactly n); (Length, Length) if none.
    private static (int Start, int End) NextCodeSpan(string text, int from)
    {
        for (var i = text.IndexOf('`', from); i >= 0; i = text.IndexOf('`', i))
        {
            var run = Run(text, i);
            for (var j = text.IndexOf('`', i + run); j >= 0; j = text.IndexOf('`', j + Run(text, j)))
            {
                if (Run(text, j) == run)
                {
                    return (i, j + run);
                }
            }

            i += run; // no closing run: these backticks are literal text
        }

        return (text.Length, text.Length);
    }

    private static int Run(string text, int at)
    {
        var end = at;
        while (end < text.Length && text[end] == '`')
        {
            end++;
        }

        return end - at;
    }

    [GeneratedRegex(@"</?[A-Za-z][^<>\s]*>")]
    private static partial Regex Tag();

    // Every element the walker visits that has a text of its own (info, tag, operation, parameter, schema, response, example...).
    private sealed class Escaper : OpenApiVisitorBase
    {
        public override void Visit(IOpenApiExtensible openApiExtensible)
        {
            foreach (var text in openApiExtensible.GetType().GetProperties()
                .Where(p => p.Name is "Description" or "Summary" && p.PropertyType == typeof(string) && p.CanWrite && p.GetIndexParameters().Length == 0))
            {
                text.SetValue(openApiExtensible, Escape((string?)text.GetValue(openApiExtensible)));
            }
        }
    }
}
