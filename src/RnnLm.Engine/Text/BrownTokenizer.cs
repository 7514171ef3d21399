using System.Buffers;
using System.Collections.Frozen;
using System.Runtime.InteropServices;

namespace RnnLm.Engine.Text;

/// <summary>
/// Splits raw English text into sentences and tokens written the way the Brown corpus files
/// (<c>data/brown/*.txt</c>) are, so that text typed by a person meets the vocabulary a model was trained on.
/// </summary>
/// <remarks>
/// <list type="bullet">
/// <item>Punctuation is split off: <c>, ; : ! ? ( ) [ ] --</c> and a final <c>.</c> become tokens of their own.</item>
/// <item>Double quotes become <c>``</c> (opening) or <c>''</c> (closing), judged by position; curly quotes are mapped too.</item>
/// <item>Contractions and possessives stay whole (<c>don't</c>, <c>I'm</c>, <c>Atlanta's</c>, <c>farmers'</c>), as do the
/// corpus's words with a leading apostrophe (<c>'em</c>, <c>'tis</c>); other single quotes are split off as <c>'</c>.</item>
/// <item>Hyphenated words, numbers (<c>1,000</c>, <c>3.5</c>, <c>4:30</c>, <c>$600</c>, <c>50%</c>) and abbreviations
/// (a short list such as <c>Mr.</c>, <c>Jr.</c>, <c>etc.</c>; single initials <c>J.</c>; dotted forms <c>U.S.</c>, <c>p.m.</c>) stay whole.</item>
/// <item>Case is kept. Nothing is replaced by <c>&lt;unk&gt;</c>: that is the model's business.</item>
/// <item>A sentence ends at <c>.</c>, <c>!</c> or <c>?</c> (with any closing quotes or brackets after it) followed by a word
/// starting with an upper-case letter or by an opening quote; never after an abbreviation. A blank line always ends a sentence;
/// a single line break is a space. A paragraph ending on an abbreviation gets the corpus's separate final <c>.</c> (<c>Jr. .</c>).</item>
/// </list>
/// The rules are heuristics: they reproduce the corpus on ordinary prose, not on every line of it.
/// </remarks>
public static class BrownTokenizer
{
    public const string OpenQuote = "``";
    public const string CloseQuote = "''";

    // Sentence-final words such as "in." or "no." are left out on purpose: they end sentences far more often.
    private static readonly FrozenSet<string> Abbreviations = FrozenSet.Create(
        StringComparer.Ordinal,
        "Mr.", "Mrs.", "Ms.", "Messrs.", "Mmes.", "Dr.", "Drs.", "St.", "Jr.", "Sr.", "Prof.", "Rev.", "Gen.", "Gov.", "Sen.", "Sens.", "Rep.", "Reps.",
        "Col.", "Capt.", "Lt.", "Sgt.", "Maj.", "Adm.", "Cmdr.", "Pfc.", "Hon.", "Supt.", "Atty.", "Msgr.", "Mme.", "Mlle.",
        "Jas.", "Wm.", "Chas.", "Geo.", "Thos.", "Mt.", "Mts.", "Ft.", "Ave.", "Av.", "Blvd.", "Rd.", "Ct.", "Cir.", "Ter.", "Bldg.",
        "No.", "Nos.", "Co.", "Corp.", "Inc.", "Ltd.", "Bros.", "Mfg.", "Ry.", "Dept.", "Dist.", "Univ.", "Assn.", "Tech.",
        "Vol.", "Fig.", "Figs.", "Ch.", "Sec.", "Secs.", "Ref.", "Refs.", "Op.", "Pp.", "Pt.", "Eng.", "Penna.",
        "Jan.", "Feb.", "Mar.", "Apr.", "Aug.", "Sept.", "Sep.", "Oct.", "Nov.", "Dec.",
        "Ala.", "Ariz.", "Ark.", "Calif.", "Colo.", "Conn.", "Del.", "Fla.", "Ga.", "Ill.", "Ind.", "Kan.", "Ky.", "La.",
        "Md.", "Mass.", "Mich.", "Minn.", "Miss.", "Mo.", "Mont.", "Neb.", "Nev.", "Okla.", "Ore.", "Pa.", "Tenn.", "Tex.",
        "Va.", "Vt.", "Wash.", "Wis.", "Wyo.",
        "etc.", "al.", "vs.", "v.", "cf.", "ca.", "viz.", "var.", "sp.", "fig.", "figs.", "chap.", "dept.", "pp.", "approx.", "ed.", "op.",
        "ft.", "lb.", "lbs.", "oz.", "yd.", "mi.", "sq.", "mg.", "gm.", "kg.", "cm.", "mm.", "km.", "ml.", "cc.", "kc.", "mc.",
        "sec.", "hr.", "hrs.", "yr.", "yrs.", "mos.");

    // After a hyphen a unit is unambiguous even when it is also a word: 27-in., 400-lb.
    private static readonly FrozenSet<string> Units = FrozenSet.Create(StringComparer.Ordinal, "in.", "min.", "deg.");

    private static readonly FrozenSet<string>.AlternateLookup<ReadOnlySpan<char>> AbbreviationLookup = Abbreviations.GetAlternateLookup<ReadOnlySpan<char>>();
    private static readonly FrozenSet<string>.AlternateLookup<ReadOnlySpan<char>> UnitLookup = Units.GetAlternateLookup<ReadOnlySpan<char>>();

    private static readonly FrozenSet<string> LeadingApostropheWords = FrozenSet.Create(
        StringComparer.OrdinalIgnoreCase, "'em", "'im", "'tis", "'twas", "'round", "'bout", "'n'", "'nough", "'cause", "'til");

    private static readonly FrozenSet<string>.AlternateLookup<ReadOnlySpan<char>> LeadingApostropheLookup = LeadingApostropheWords.GetAlternateLookup<ReadOnlySpan<char>>();

    /// <summary>Splits <paramref name="text"/> into sentences and tokenizes each; empty sentences are dropped.</summary>
    /// <exception cref="ArgumentNullException"><paramref name="text"/> is null.</exception>
    public static IReadOnlyList<string[]> Sentences(string text)
    {
        ArgumentNullException.ThrowIfNull(text);
        var sentences = new List<string[]>();
        foreach (var paragraph in Paragraphs(text))
        {
            var tokens = Words(text.AsSpan(paragraph));
            if (tokens.Count == 0)
            {
                continue;
            }

            if (IsAbbreviation(tokens[^1]))
            {
                tokens.Add(".");
            }

            var start = 0;
            for (var i = 0; i < tokens.Count; i++)
            {
                if (tokens[i] is not ("." or "!" or "?"))
                {
                    continue;
                }

                var end = i + 1;
                while (end < tokens.Count && tokens[end] is "." or "!" or "?" or CloseQuote or "'" or ")" or "]" or "}")
                {
                    end++;
                }

                if (end < tokens.Count && StartsSentence(tokens[end]))
                {
                    sentences.Add(CollectionsMarshal.AsSpan(tokens)[start..end].ToArray());
                    start = end;
                }

                i = end - 1;
            }

            if (start < tokens.Count)
            {
                sentences.Add(CollectionsMarshal.AsSpan(tokens)[start..].ToArray());
            }
        }

        return sentences;
    }

    /// <summary>Tokenizes <paramref name="sentence"/> as one sentence (or the start of one), without looking for sentence ends.</summary>
    /// <exception cref="ArgumentNullException"><paramref name="sentence"/> is null.</exception>
    public static string[] Tokenize(string sentence)
    {
        ArgumentNullException.ThrowIfNull(sentence);
        return [.. Words(sentence)];
    }

    private static bool StartsSentence(string token) =>
        token is OpenQuote or "'" or "`" || char.IsUpper(token[0]);

    // The paragraphs' ranges in text: its parts between blank lines.
    private static List<Range> Paragraphs(string text)
    {
        var paragraphs = new List<Range>();
        var start = 0;
        var lineBreaks = 0;
        for (var i = 0; i < text.Length; i++)
        {
            var c = text[i];
            if (c == '\n')
            {
                lineBreaks++;
            }
            else if (!char.IsWhiteSpace(c))
            {
                if (lineBreaks >= 2)
                {
                    paragraphs.Add(start..i);
                    start = i;
                }

                lineBreaks = 0;
            }
        }

        paragraphs.Add(start..);
        return paragraphs;
    }

    private const int MaxPooledChars = 1 << 16;

    // Each token is made once, as a string, from the normalized text: the chunks between spaces stay spans.
    private static List<string> Words(ReadOnlySpan<char> text)
    {
        // A normalized character is at most 5 (" ... " for an ellipsis). Long texts get an array of their own rather
        // than leave one that size in the shared pool.
        var size = 5 * text.Length + 1;
        var pooled = size <= MaxPooledChars ? ArrayPool<char>.Shared.Rent(size) : null;
        try
        {
            var buffer = pooled ?? new char[size];
            ReadOnlySpan<char> normalized = buffer.AsSpan(0, Normalize(text, buffer));
            var tokens = new List<string>(normalized.Length / 4 + 1);
            var trailing = new Stack<string>();
            var singleQuoteOpen = false;
            foreach (var range in normalized.Split(' '))
            {
                var word = normalized[range];
                if (word.IsEmpty)
                {
                    continue;
                }

                if (Whole(word) is { } whole)
                {
                    tokens.Add(whole);
                    continue;
                }

                SplitOpening(ref word, tokens, ref singleQuoteOpen);
                SplitClosing(ref word, trailing, ref singleQuoteOpen);
                SplitInside(word, tokens);
                while (trailing.Count > 0)
                {
                    tokens.Add(trailing.Pop());
                }
            }

            return tokens;
        }
        finally
        {
            if (pooled is not null)
            {
                ArrayPool<char>.Shared.Return(pooled);
            }
        }
    }

    // The chunks Normalize makes whole tokens of.
    private static string? Whole(ReadOnlySpan<char> chunk) => chunk switch
    {
        OpenQuote => OpenQuote,
        CloseQuote => CloseQuote,
        "--" => "--",
        "..." => "...",
        _ => null,
    };

    // A one-character token: the same string every time for punctuation, which makes most of them.
    private static string Token(char c) => c switch
    {
        ',' => ",",
        '.' => ".",
        ';' => ";",
        ':' => ":",
        '!' => "!",
        '?' => "?",
        '(' => "(",
        ')' => ")",
        '[' => "[",
        ']' => "]",
        '{' => "{",
        '}' => "}",
        '\'' => "'",
        '`' => "`",
        _ => c.ToString(),
    };

    // Opening brackets and single quotes, unless the apostrophe belongs to the word ('em, 'tis).
    private static void SplitOpening(ref ReadOnlySpan<char> word, List<string> tokens, ref bool singleQuoteOpen)
    {
        while (word.Length > 0)
        {
            if (word[0] is '(' or '[' or '{')
            {
                tokens.Add(Token(word[0]));
                word = word[1..];
            }
            else if (word[0] is '\'' or '`' && !IsLeadingApostropheWord(word))
            {
                tokens.Add(Token(word[0]));
                singleQuoteOpen = true;
                word = word[1..];
            }
            else
            {
                break;
            }
        }
    }

    // Closing punctuation, innermost last: "said.)" is said . ). Pushed so that popping gives them in order.
    private static void SplitClosing(ref ReadOnlySpan<char> word, Stack<string> trailing, ref bool singleQuoteOpen)
    {
        while (word.Length > 0)
        {
            var last = word[^1];
            if (last is ',' or ';' or ':' or '!' or '?' || (last is ')' or ']' or '}' && !ClosesInside(word)))
            {
                trailing.Push(Token(last));
                word = word[..^1];
            }
            else if (last == '.')
            {
                if (word.EndsWith("..."))
                {
                    trailing.Push("...");
                    word = word[..^3];
                }
                else if (IsAbbreviation(word))
                {
                    break;
                }
                else
                {
                    trailing.Push(".");
                    word = word[..^1];
                }
            }
            else if (last == '\'' && word.Length > 1 && singleQuoteOpen && !IsTrailingApostropheWord(word))
            {
                trailing.Push("'");
                singleQuoteOpen = false;
                word = word[..^1];
            }
            else
            {
                break;
            }
        }
    }

    // Punctuation inside a chunk ("yes,no" or "a;b") is split off; "1,000", "4:30" and brackets ("f{t}", "381(a)") stay.
    private static void SplitInside(ReadOnlySpan<char> word, List<string> tokens)
    {
        var start = 0;
        for (var i = 0; i < word.Length; i++)
        {
            var c = word[i];
            if (c is not (',' or ';' or ':' or '!' or '?'))
            {
                continue;
            }

            if (c is ',' or ':' && i > 0 && i < word.Length - 1 && char.IsAsciiDigit(word[i - 1]) && char.IsAsciiDigit(word[i + 1]))
            {
                continue;
            }

            if (i > start)
            {
                tokens.Add(word[start..i].ToString());
            }

            tokens.Add(Token(c));
            start = i + 1;
        }

        if (start < word.Length)
        {
            tokens.Add(word[start..].ToString());
        }
    }

    // A closing bracket that matches an opening one inside the word belongs to it: 381(a), f{t}.
    private static bool ClosesInside(ReadOnlySpan<char> word)
    {
        var open = word[^1] switch { ')' => '(', ']' => '[', _ => '{' };
        return word[..^1].Count(open) > word[..^1].Count(word[^1]);
    }

    // 'em and 'tis keep their apostrophe, as do years ('55, '60s).
    private static bool IsLeadingApostropheWord(ReadOnlySpan<char> word) =>
        (word.Length > 1 && word[0] == '\'' && char.IsAsciiDigit(word[1])) || LeadingApostropheLookup.Contains(word.TrimEnd(".,;:!?)]}"));

    // Possessive plurals (farmers', Thomas') and dropped g's (givin') keep their apostrophe, as in the corpus;
    // other trailing apostrophes are split off only when they close a quote opened earlier.
    private static bool IsTrailingApostropheWord(ReadOnlySpan<char> word) =>
        LeadingApostropheLookup.Contains(word)
        || (word.Length > 2 && char.IsLetter(word[^2]) && (word[^2] is 's' or 'S' || word.EndsWith("in'", StringComparison.Ordinal)));

    private static bool IsAbbreviation(ReadOnlySpan<char> word)
    {
        if (word.Length < 2 || word[^1] != '.')
        {
            return false;
        }

        if (word.Length == 2)
        {
            return char.IsLetter(word[0]);
        }

        // Dotted forms: U.S., p.m., i.e., D.C.
        var dotted = word.Length % 2 == 0;
        for (var i = 0; dotted && i < word.Length; i += 2)
        {
            dotted = char.IsLetter(word[i]) && word[i + 1] == '.';
        }

        if (dotted || AbbreviationLookup.Contains(word))
        {
            return true;
        }

        // A hyphenated word ending in an abbreviation or a unit: 400-lb., Sept. 29-Oct., Presbyterian-St.
        var hyphen = word.LastIndexOf('-');
        return hyphen > 0 && hyphen < word.Length - 2 && (IsAbbreviation(word[(hyphen + 1)..]) || UnitLookup.Contains(word[(hyphen + 1)..]));
    }

    private static bool IsAbbreviation(string token) => IsAbbreviation(token.AsSpan());

    // One space-separated text, written to output (at least 5 characters for each of text's) and its length returned:
    // quotes become `` and '' with spaces around them, dashes become --, every kind of white space or control
    // character becomes a space.
    private static int Normalize(ReadOnlySpan<char> text, Span<char> output)
    {
        var result = new Writer(output);
        var quotes = 0;
        for (var i = 0; i < text.Length; i++)
        {
            var c = text[i];
            var previous = i > 0 ? text[i - 1] : ' ';
            var next = i + 1 < text.Length ? text[i + 1] : ' ';
            switch (c)
            {
                case '"':
                    {
                        var opens = (IsSpaceOrOpening(previous) && !char.IsWhiteSpace(next))
                            || (char.IsWhiteSpace(previous) == char.IsWhiteSpace(next) && quotes % 2 == 0);
                        result.Append(opens ? " `` " : " '' ");
                        quotes++;
                        break;
                    }

                case '\u201C':
                    result.Append(" `` ");
                    quotes++;
                    break;
                case '\u201D':
                    result.Append(" '' ");
                    quotes++;
                    break;
                case '`' when next == '`':
                    result.Append(" `` ");
                    i++;
                    break;
                case '\'' when next == '\'':
                    result.Append(" '' ");
                    i++;
                    break;
                case '\u2018' or '\u2019':
                    result.Append('\'');
                    break;
                case '\u2014' or '\u2015':
                    result.Append(" -- ");
                    break;
                case '\u2013' when char.IsWhiteSpace(previous) && char.IsWhiteSpace(next):
                    result.Append(" -- ");
                    break;
                case '-' when next == '-':
                    result.Append(" -- ");
                    while (i + 1 < text.Length && text[i + 1] == '-')
                    {
                        i++;
                    }

                    break;
                case '\u2026':
                    result.Append(" ... ");
                    break;
                default:
                    result.Append(char.IsWhiteSpace(c) || char.IsControl(c) ? ' ' : c);
                    break;
            }
        }

        return result.Length;
    }

    private ref struct Writer(Span<char> output)
    {
        private readonly Span<char> _output = output;

        public int Length { get; private set; }

        public void Append(char c) => _output[Length++] = c;

        public void Append(string text)
        {
            text.CopyTo(_output[Length..]);
            Length += text.Length;
        }
    }

    private static bool IsSpaceOrOpening(char c) => char.IsWhiteSpace(c) || c is '(' or '[' or '{' or '-' or '\u2014';
}
