using System.Globalization;
using System.Text;
using System.Text.Json;
using System.Text.Json.Nodes;

namespace RayPS.Sandbox.Json;

/// <summary>
/// Reads and writes JSON the way the Go apiserver does: duplicate keys keep the last value (and are
/// reported), integers stay 64-bit integers, and output is compact with Go's escaping rules.
/// </summary>
public static class JsonText
{
    /// <summary>Parses JSON; throws <see cref="FormatException"/> with a Go-like message on bad input.</summary>
    public static JsonNode? Parse(ReadOnlySpan<byte> utf8, List<string>? duplicateFields = null)
    {
        var reader = new Utf8JsonReader(utf8, new JsonReaderOptions { CommentHandling = JsonCommentHandling.Disallow });
        try
        {
            if (!reader.Read())
            {
                throw new FormatException("unexpected end of JSON input");
            }
            var node = ReadValue(ref reader, "", duplicateFields);
            if (reader.Read())
            {
                throw new FormatException("invalid character after top-level value");
            }
            return node;
        }
        catch (JsonException ex)
        {
            throw new FormatException(DescribeError(ex), ex);
        }
    }

    public static JsonNode? Parse(string text, List<string>? duplicateFields = null) =>
        Parse(Encoding.UTF8.GetBytes(text), duplicateFields);

    private static string DescribeError(JsonException ex)
    {
        var msg = ex.Message;
        if (msg.Contains("end of data", StringComparison.OrdinalIgnoreCase) || msg.Contains("incomplete", StringComparison.OrdinalIgnoreCase))
        {
            return "unexpected end of JSON input";
        }
        return "invalid character in JSON input: " + msg;
    }

    private static JsonNode? ReadValue(ref Utf8JsonReader reader, string path, List<string>? duplicates)
    {
        switch (reader.TokenType)
        {
            case JsonTokenType.StartObject:
                var obj = new JsonObject();
                while (reader.Read() && reader.TokenType != JsonTokenType.EndObject)
                {
                    var key = reader.GetString()!;
                    reader.Read();
                    var childPath = path.Length == 0 ? key : path + "." + key;
                    var value = ReadValue(ref reader, childPath, duplicates);
                    if (obj.ContainsKey(key))
                    {
                        duplicates?.Add(childPath);
                        obj.Remove(key);
                    }
                    obj[key] = value;
                }
                return obj;
            case JsonTokenType.StartArray:
                var arr = new JsonArray();
                var index = 0;
                while (reader.Read() && reader.TokenType != JsonTokenType.EndArray)
                {
                    arr.Add(ReadValue(ref reader, path + "[" + index.ToString(CultureInfo.InvariantCulture) + "]", duplicates));
                    index++;
                }
                return arr;
            case JsonTokenType.String:
                return JsonValue.Create(reader.GetString()!);
            case JsonTokenType.Number:
                if (reader.TryGetInt64(out var l))
                {
                    var raw = reader.ValueSpan;
                    if (raw.IndexOfAny((byte)'.', (byte)'e', (byte)'E') < 0)
                    {
                        return JsonValue.Create(l);
                    }
                }
                return JsonValue.Create(reader.GetDouble());
            case JsonTokenType.True:
                return JsonValue.Create(true);
            case JsonTokenType.False:
                return JsonValue.Create(false);
            case JsonTokenType.Null:
                return null;
            default:
                throw new FormatException("invalid JSON token " + reader.TokenType);
        }
    }

    /// <summary>Compact JSON as Go's encoding/json writes it (HTML-safe escaping, no indentation).</summary>
    public static string Serialize(JsonNode? node)
    {
        var sb = new StringBuilder();
        Write(sb, node);
        return sb.ToString();
    }

    public static byte[] SerializeToUtf8(JsonNode? node, bool trailingNewline = true)
    {
        var sb = new StringBuilder();
        Write(sb, node);
        if (trailingNewline)
        {
            sb.Append('\n');
        }
        return Encoding.UTF8.GetBytes(sb.ToString());
    }

    /// <summary>Go's encoding/json: compact, HTML-safe escaping, floats as <see cref="FormatDouble"/> prints them.</summary>
    internal static readonly JsonStyle Go = new(",", ":", GoEscape, FormatDouble);

    public static void Write(StringBuilder sb, JsonNode? node) => Go.Write(sb, node);

    /// <summary>Formats a float64 like Go's encoding/json (shortest round-trip, exponent outside [1e-6, 1e21)).</summary>
    public static string FormatDouble(double d)
    {
        if (d == Math.Floor(d) && Math.Abs(d) < 1e21)
        {
            return ((decimal)d).ToString(CultureInfo.InvariantCulture);
        }
        var abs = Math.Abs(d);
        var r = d.ToString("R", CultureInfo.InvariantCulture);
        if (abs != 0 && (abs < 1e-6 || abs >= 1e21))
        {
            var e = r.IndexOfAny(['E', 'e']);
            if (e < 0)
            {
                return r;
            }
            var mantissa = r[..e];
            var exp = int.Parse(r[(e + 1)..], CultureInfo.InvariantCulture);
            return mantissa + "e" + (exp < 0 ? "-" : "+") + Math.Abs(exp).ToString(CultureInfo.InvariantCulture);
        }
        if (r.Contains('E', StringComparison.Ordinal))
        {
            return ((decimal)d).ToString(CultureInfo.InvariantCulture);
        }
        return r;
    }

    public static void WriteString(StringBuilder sb, string s) => Go.WriteString(sb, s);

    private static string? GoEscape(char c) =>
        c is '<' or '>' or '&' or '\u2028' or '\u2029' || c < 0x20 ? JsonStyle.UnicodeEscape(c) : null;
}

/// <summary>
/// One way to write JSON text. Every writer here escapes the quote, the backslash, \n, \r and \t the same way; a style
/// adds its separators, the escapes of any other character, and how a floating-point number prints.
/// </summary>
internal sealed class JsonStyle
{
    private readonly string _itemSeparator;
    private readonly string _keySeparator;
    private readonly Func<char, string?> _escape;
    private readonly Func<double, string> _formatDouble;

    /// <summary><paramref name="escape"/> gives the escape of any other character, or null to write it as it is.</summary>
    public JsonStyle(string itemSeparator, string keySeparator, Func<char, string?> escape, Func<double, string> formatDouble)
    {
        _itemSeparator = itemSeparator;
        _keySeparator = keySeparator;
        _escape = escape;
        _formatDouble = formatDouble;
    }

    public void Write(StringBuilder sb, JsonNode? node)
    {
        switch (node)
        {
            case null:
                sb.Append("null");
                break;
            case JsonObject obj:
                sb.Append('{');
                var first = true;
                foreach (var (key, value) in obj)
                {
                    if (!first)
                    {
                        sb.Append(_itemSeparator);
                    }
                    first = false;
                    WriteString(sb, key);
                    sb.Append(_keySeparator);
                    Write(sb, value);
                }
                sb.Append('}');
                break;
            case JsonArray arr:
                sb.Append('[');
                for (var i = 0; i < arr.Count; i++)
                {
                    if (i > 0)
                    {
                        sb.Append(_itemSeparator);
                    }
                    Write(sb, arr[i]);
                }
                sb.Append(']');
                break;
            case JsonValue value:
                WriteValue(sb, value);
                break;
        }
    }

    private void WriteValue(StringBuilder sb, JsonValue value)
    {
        if (value.TryGetValue<string>(out var s))
        {
            WriteString(sb, s);
        }
        else if (value.TryGetValue<bool>(out var b))
        {
            sb.Append(b ? "true" : "false");
        }
        else if (JsonNodes.TryGetInteger(value, out var l))
        {
            sb.Append(l.ToString(CultureInfo.InvariantCulture));
        }
        else if (JsonNodes.TryGetDouble(value, out var d))
        {
            sb.Append(_formatDouble(d));
        }
        else
        {
            sb.Append(value.ToJsonString());
        }
    }

    public void WriteString(StringBuilder sb, string s) => Quote(sb, s, _escape);

    /// <summary>Writes <paramref name="s"/> in double quotes: the five shared escapes, other characters as <paramref name="escape"/> says.</summary>
    public static void Quote(StringBuilder sb, string s, Func<char, string?> escape)
    {
        sb.Append('"');
        foreach (var c in s)
        {
            var escaped = c switch
            {
                '"' => "\\\"",
                '\\' => "\\\\",
                '\n' => "\\n",
                '\r' => "\\r",
                '\t' => "\\t",
                _ => escape(c),
            };
            if (escaped is null)
            {
                sb.Append(c);
            }
            else
            {
                sb.Append(escaped);
            }
        }
        sb.Append('"');
    }

    /// <summary>\uXXXX with lower-case hex digits.</summary>
    public static string UnicodeEscape(char c) => "\\u" + ((int)c).ToString("x4", CultureInfo.InvariantCulture);
}
