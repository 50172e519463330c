using System.Text.Json.Nodes;
using RayPS.Kube;

namespace RayPS.Client.Tests.Kube;

public class GoJsonTests
{
    [Theory]
    // Only Go's escapes: quote, backslash, control characters, & < > and U+2028/U+2029; ' + ` and non-ASCII stay raw.
    [InlineData("'{\"ascend\":20}'", "\"'{\\\"ascend\\\":20}'\"")]
    [InlineData("a&b<c>é\u2028x\u2029", "\"a\\u0026b\\u003cc\\u003eé\\u2028x\\u2029\"")]
    [InlineData("tab\tnl\ncr\r\u0001\u001f\u007f", "\"tab\\tnl\\ncr\\r\\u0001\\u001f\u007f\"")]
    [InlineData("back\\slash +`", "\"back\\\\slash +`\"")]
    [InlineData("emoji \U0001F600 中文", "\"emoji \U0001F600 中文\"")]
    public void Strings_are_escaped_as_go_encoding_json_writes_them(string value, string expected)
    {
        Assert.Equal(expected, GoJson.Serialize(JsonValue.Create(value)));
    }

    [Fact]
    public void A_lone_surrogate_is_written_as_the_replacement_character_as_go_does_with_invalid_utf8()
    {
        Assert.Equal("\"lone \\ufffd surrogate\"", GoJson.Serialize(JsonValue.Create("lone " + (char)0xD800 + " surrogate")));
    }

    [Fact]
    public void Numbers_keep_the_literal_they_were_read_with_and_objects_are_compact()
    {
        var node = JsonNode.Parse("""{ "a" : 2.0, "b": [1, 2.50, -3e5, true, null], "c": "x", "d": {} }""");
        Assert.Equal("""{"a":2.0,"b":[1,2.50,-3e5,true,null],"c":"x","d":{}}""", GoJson.Serialize(node));
        Assert.Equal("""{"n":7,"s":"'"}""", GoJson.Serialize(new JsonObject { ["n"] = 7, ["s"] = "'" }));
        Assert.Equal("null", GoJson.Serialize(null));
    }

    [Fact]
    public void A_string_read_from_the_server_is_written_back_as_the_server_wrote_it()
    {
        // The server's own text (golden 84/86): writing the decoded value back must give the same bytes.
        const string serverText = """{"resources":"'{\"ascend\":20}'","note":"a\u0026b\u003cc\u003eé\u2028x"}""";
        Assert.Equal(serverText, GoJson.Serialize(JsonNode.Parse(serverText)));
    }
}
