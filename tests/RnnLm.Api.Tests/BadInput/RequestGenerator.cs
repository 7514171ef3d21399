using System.Text.Json;

namespace RnnLm.Api.Tests.BadInput;

/// <summary>
/// How to make one case again: the operation, the seed of its near-valid request, the ids known when it was planned,
/// and the mutations (each by its index in the catalogue, with its own seed, so any subset can be replayed to shrink it).
/// </summary>
internal sealed record CasePlan(ApiOperation Operation, int BaseSeed, string[] KnownIds, (int Mutation, int Seed)[] Mutations)
{
    public CasePlan Without(int index) => this with { Mutations = [.. Mutations.Where((_, i) => i != index)] };
}

/// <summary>Plans and builds requests for the operations of an OpenAPI document: a near-valid request, then up to three mutations.</summary>
internal sealed class RequestGenerator
{
    public const string MultipartType = "multipart/form-data";
    private static readonly Mutation[] Catalogue = [.. RequestMutations.All(), .. BodyMutations.All()];
    private readonly ApiDocument _document;
    private readonly ValueGenerator _values;
    private readonly string _apiKey;
    private readonly IReadOnlyList<int> _bodyLimits;

    public RequestGenerator(ApiDocument document, string apiKey, IReadOnlyList<int> bodyLimits)
    {
        _document = document;
        _values = new ValueGenerator(document);
        _apiKey = apiKey;
        _bodyLimits = bodyLimits;
    }

    public CasePlan Plan(Random random, IReadOnlyCollection<string> knownIds)
    {
        var operation = Weighted(random, _document.Operations, InputSurface);
        var ids = knownIds.ToArray();
        var baseSeed = random.Next();
        var draft = Base(operation, baseSeed, ids);
        var roll = random.NextDouble();
        var count = roll < 0.12 ? 0 : roll < 0.62 ? 1 : roll < 0.87 ? 2 : 3;
        var applicable = Enumerable.Range(0, Catalogue.Length).Where(i => Catalogue[i].Applies(draft)).ToList();
        var mutations = new List<(int, int)>();
        for (var i = 0; i < count && applicable.Count > 0; i++)
        {
            var pick = Weighted(random, applicable, m => Catalogue[m].Weight);
            mutations.Add((pick, random.Next()));
            applicable.Remove(pick);
        }

        return new CasePlan(operation, baseSeed, ids, [.. mutations]);
    }

    // Operations that take more input get more cases: a body counts as much as three parameters, a multipart one more.
    private static double InputSurface(ApiOperation operation) =>
        1 + operation.Parameters.Count + (operation.BodyContent.Count > 0 ? 3 : 0) + (operation.BodyContent.ContainsKey(MultipartType) ? 2 : 0);

    private static T Weighted<T>(Random random, IReadOnlyList<T> items, Func<T, double> weight)
    {
        var total = items.Sum(weight);
        var point = random.NextDouble() * total;
        foreach (var item in items)
        {
            point -= weight(item);
            if (point < 0)
            {
                return item;
            }
        }

        return items[^1];
    }

    public HttpCase Build(CasePlan plan)
    {
        var draft = Base(plan.Operation, plan.BaseSeed, plan.KnownIds);
        var context = new MutationContext(_document, _values, _apiKey, _bodyLimits, plan.KnownIds);
        foreach (var (index, seed) in plan.Mutations)
        {
            if (Catalogue[index].Applies(draft))
            {
                Catalogue[index].Apply(draft, new Random(seed), context);
            }
        }

        return draft.Build();
    }

    /// <summary>
    /// A request the document describes as valid, as far as a schema can: ids the service has answered with, the examples,
    /// words the test model knows, the API key where the operation needs it.
    /// </summary>
    private Draft Base(ApiOperation operation, int seed, string[] knownIds)
    {
        var random = new Random(seed);
        var bodyTypes = operation.BodyContent.Keys.Order(StringComparer.Ordinal).ToArray();
        var bodyType = bodyTypes.Length == 0 ? null
            : bodyTypes.Contains("application/json") && (bodyTypes.Length == 1 || random.NextDouble() < 0.5) ? "application/json"
            : bodyTypes.First(t => t != "application/json");
        var draft = new Draft(operation, bodyType is null ? default : operation.BodyContent[bodyType]) { BodyType = bodyType };
        foreach (var parameter in operation.In("path"))
        {
            draft.PathValues[parameter.Name] = Uri.EscapeDataString(knownIds.Length > 0 && random.NextDouble() < 0.75 ? PickId(random, knownIds) : $"j{random.Next():x}");
        }

        foreach (var parameter in operation.In("query").Where(_ => random.NextDouble() < 0.5))
        {
            draft.Query.Add((parameter.Name, QueryValue(parameter, random, knownIds)));
        }

        if (operation.Secured)
        {
            draft.Header("X-Api-Key", _apiKey);
        }

        if (bodyType == "application/json")
        {
            draft.ContentType = bodyType;
            draft.Json = _values.NearValid(draft.JsonSchema, random);
        }
        else if (bodyType == MultipartType)
        {
            draft.ContentType = $"{MultipartType}; boundary={draft.Boundary}";
            Multipart(draft, random);
        }
        else if (bodyType is not null)
        {
            draft.ContentType = bodyType;
            draft.RawBody = "1"u8.ToArray();
        }

        return draft;
    }

    // The ids known first (the shipped model's, those the listings named at the start) are picked more often than later ones.
    private static string PickId(Random random, string[] knownIds) => knownIds[(int)(knownIds.Length * Math.Pow(random.NextDouble(), 2))];

    // The parameter's example half the time; otherwise for text an id the service answered with, or a value from the schema.
    private string QueryValue(ApiParameter parameter, Random random, string[] knownIds)
    {
        if (parameter.Example is { } example && random.NextDouble() < 0.5)
        {
            return RequestMutations.QueryText(JNode.From(example));
        }

        if (_document.TypeOf(parameter.Schema) == "string" && knownIds.Length > 0 && random.NextDouble() < 0.5)
        {
            return Uri.EscapeDataString(PickId(random, knownIds));
        }

        return RequestMutations.QueryText(_values.NearValid(parameter.Schema, random));
    }

    /// <summary>
    /// The multipart form the API documents for a JSON request (the schema's description): each list of strings as a
    /// file, one string a line, and the other fields as JSON in a field named settings.
    /// </summary>
    private void Multipart(Draft draft, Random random)
    {
        var values = _values.NearValid(draft.JsonSchema, random) as JObject ?? new JObject([]);
        var files = values.Members.Where(m => IsTextList(m.Key) && m.Value is JArray).ToList();
        foreach (var (key, value) in files)
        {
            var lines = ((JArray)value).Items.Select(item => item is JLiteral { Text: ['"', ..] } literal ? JsonSerializer.Deserialize<string>(literal.Text) : item.ToString());
            draft.Parts.Add(new FormPart($"name=\"{key}\"", $"{key}.txt", string.Join('\n', lines) + "\n"));
        }

        values.Members.RemoveAll(m => files.Contains(m));
        if (values.Members.Count > 0 || random.NextDouble() < 0.5)
        {
            draft.Json = values;
            draft.Parts.Insert(0, new FormPart("name=\"settings\"", null, null));
        }

        bool IsTextList(string key) =>
            _document.PropertyOf(draft.JsonSchema, key) is { } schema && _document.TypeOf(schema) == "array" && _document.TypeOf(_document.ItemsOf(schema)) == "string";
    }
}
