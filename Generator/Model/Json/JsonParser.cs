// Recursive-descent JSON parser (RFC 8259) producing JsonNode values with positions.
// It never throws on bad input: the first problem is returned as a JsonSyntaxError.
using System.Collections.Generic;
using System.Globalization;
using System.Text;

namespace MicroNet.Aot.Model.Json;

public sealed class JsonSyntaxError
{
    public JsonSyntaxError(string message, TextPosition position) { Message = message; Position = position; }
    public string Message { get; }
    public TextPosition Position { get; }
}

public sealed class JsonParser
{
    private const int MaxDepth = 64;
    private readonly string _text;
    private int _index;
    private int _line = 1;
    private int _lineStart;
    private JsonSyntaxError? _error;

    private JsonParser(string text) { _text = text; }

    /// <summary>Parses a whole document; on failure returns null and sets <paramref name="error"/>.</summary>
    public static JsonNode? Parse(string text, out JsonSyntaxError? error)
    {
        var parser = new JsonParser(text);
        if (parser._text.Length > 0 && parser._text[0] == '\uFEFF') parser._index = 1; // UTF-8 BOM as decoded
        JsonNode? root = parser.ParseValue(0);
        if (root != null)
        {
            parser.SkipWhitespace();
            if (parser._index < parser._text.Length)
            {
                parser.Fail("unexpected text after the end of the JSON document");
                root = null;
            }
        }
        error = parser._error;
        return parser._error == null ? root : null;
    }

    private TextPosition Here => new(_line, _index - _lineStart + 1);

    private JsonNode? Fail(string message)
    {
        _error ??= new JsonSyntaxError(message, Here);
        return null;
    }

    private void SkipWhitespace()
    {
        while (_index < _text.Length)
        {
            char c = _text[_index];
            if (c == '\n') { _index++; _line++; _lineStart = _index; }
            else if (c == ' ' || c == '\t' || c == '\r') _index++;
            else break;
        }
    }

    private JsonNode? ParseValue(int depth)
    {
        SkipWhitespace();
        if (_index >= _text.Length) return Fail("unexpected end of the file: a value is missing");
        if (depth > MaxDepth) return Fail("the document nests deeper than " + MaxDepth + " levels");
        char c = _text[_index];
        switch (c)
        {
            case '{': return ParseObject(depth);
            case '[': return ParseArray(depth);
            case '"':
                {
                    var position = Here;
                    string? s = ParseString();
                    return s == null ? null : new JsonString(position, s);
                }
            case 't': return ParseLiteral("true", JsonKind.True);
            case 'f': return ParseLiteral("false", JsonKind.False);
            case 'n': return ParseLiteral("null", JsonKind.Null);
            default:
                if (c == '-' || (c >= '0' && c <= '9')) return ParseNumber();
                return Fail("unexpected character '" + c + "': expected a value");
        }
    }

    private JsonNode? ParseLiteral(string word, JsonKind kind)
    {
        var position = Here;
        if (string.CompareOrdinal(_text, _index, word, 0, word.Length) != 0)
            return Fail("invalid literal: expected '" + word + "'");
        _index += word.Length;
        return new JsonLiteral(position, kind);
    }

    private JsonNode? ParseObject(int depth)
    {
        var position = Here;
        _index++; // '{'
        var properties = new List<JsonProperty>();
        SkipWhitespace();
        if (_index < _text.Length && _text[_index] == '}') { _index++; return new JsonObject(position, properties); }
        while (true)
        {
            SkipWhitespace();
            if (_index >= _text.Length) return Fail("unexpected end of the file inside an object: a '}' is missing");
            if (_text[_index] != '"') return Fail("expected a property name in double quotes");
            var namePosition = Here;
            string? name = ParseString();
            if (name == null) return null;
            SkipWhitespace();
            if (_index >= _text.Length || _text[_index] != ':') return Fail("expected ':' after the property name \"" + name + "\"");
            _index++;
            JsonNode? value = ParseValue(depth + 1);
            if (value == null) return null;
            properties.Add(new JsonProperty(name, namePosition, value));
            SkipWhitespace();
            if (_index >= _text.Length) return Fail("unexpected end of the file inside an object: a '}' is missing");
            char c = _text[_index];
            if (c == ',') { _index++; continue; }
            if (c == '}') { _index++; return new JsonObject(position, properties); }
            return Fail("expected ',' or '}' after a property value");
        }
    }

    private JsonNode? ParseArray(int depth)
    {
        var position = Here;
        _index++; // '['
        var items = new List<JsonNode>();
        SkipWhitespace();
        if (_index < _text.Length && _text[_index] == ']') { _index++; return new JsonArray(position, items); }
        while (true)
        {
            JsonNode? item = ParseValue(depth + 1);
            if (item == null) return null;
            items.Add(item);
            SkipWhitespace();
            if (_index >= _text.Length) return Fail("unexpected end of the file inside an array: a ']' is missing");
            char c = _text[_index];
            if (c == ',') { _index++; continue; }
            if (c == ']') { _index++; return new JsonArray(position, items); }
            return Fail("expected ',' or ']' after an array item");
        }
    }

    private string? ParseString()
    {
        _index++; // opening quote
        var sb = new StringBuilder();
        while (true)
        {
            if (_index >= _text.Length) { Fail("unexpected end of the file inside a string"); return null; }
            char c = _text[_index];
            if (c == '"') { _index++; return sb.ToString(); }
            if (c < 0x20) { Fail("control character inside a string (a string cannot span lines)"); return null; }
            if (c != '\\') { sb.Append(c); _index++; continue; }
            if (_index + 1 >= _text.Length) { Fail("unexpected end of the file inside a string"); return null; }
            char e = _text[_index + 1];
            _index += 2;
            switch (e)
            {
                case '"': sb.Append('"'); break;
                case '\\': sb.Append('\\'); break;
                case '/': sb.Append('/'); break;
                case 'b': sb.Append('\b'); break;
                case 'f': sb.Append('\f'); break;
                case 'n': sb.Append('\n'); break;
                case 'r': sb.Append('\r'); break;
                case 't': sb.Append('\t'); break;
                case 'u':
                    if (_index + 4 > _text.Length
                        || !int.TryParse(_text.Substring(_index, 4), NumberStyles.AllowHexSpecifier, CultureInfo.InvariantCulture, out int code))
                    {
                        Fail("invalid \\u escape: expected four hexadecimal digits"); return null;
                    }
                    sb.Append((char)code);
                    _index += 4;
                    break;
                default:
                    _index -= 2;
                    Fail("invalid escape sequence '\\" + e + "' in a string");
                    return null;
            }
        }
    }

    private JsonNode? ParseNumber()
    {
        var position = Here;
        int start = _index;
        if (_text[_index] == '-') _index++;
        if (_index >= _text.Length || !IsDigit(_text[_index])) return Fail("invalid number: a digit must follow '-'");
        if (_text[_index] == '0') _index++;
        else while (_index < _text.Length && IsDigit(_text[_index])) _index++;
        if (_index < _text.Length && _text[_index] == '.')
        {
            _index++;
            if (_index >= _text.Length || !IsDigit(_text[_index])) return Fail("invalid number: a digit must follow '.'");
            while (_index < _text.Length && IsDigit(_text[_index])) _index++;
        }
        if (_index < _text.Length && (_text[_index] == 'e' || _text[_index] == 'E'))
        {
            _index++;
            if (_index < _text.Length && (_text[_index] == '+' || _text[_index] == '-')) _index++;
            if (_index >= _text.Length || !IsDigit(_text[_index])) return Fail("invalid number: a digit must follow the exponent");
            while (_index < _text.Length && IsDigit(_text[_index])) _index++;
        }
        string text = _text.Substring(start, _index - start);
        double value = double.Parse(text, NumberStyles.Float, CultureInfo.InvariantCulture);
        if (double.IsInfinity(value)) return Fail("number out of range: " + text);
        return new JsonNumber(position, text, value);
    }

    private static bool IsDigit(char c) => c >= '0' && c <= '9';
}
