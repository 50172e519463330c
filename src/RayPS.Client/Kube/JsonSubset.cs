using System.Text.Json.Nodes;

namespace RayPS.Kube;

/// <summary>
/// Whether one JSON value holds everything another says: objects hold each property of the other (extra ones, such as
/// the defaults a server adds, are allowed), arrays match item by item, scalars are equal. Used to recognise our own
/// create when its answer was lost.
/// </summary>
public static class JsonSubset
{
    public static bool Contains(JsonNode? whole, JsonNode? part) => part switch
    {
        null => true,
        JsonObject partObject => whole is JsonObject wholeObject
            && partObject.All(p => wholeObject.TryGetPropertyValue(p.Key, out var value) ? Contains(value, p.Value) : p.Value is null),
        JsonArray partArray => whole is JsonArray wholeArray && wholeArray.Count == partArray.Count
            && partArray.Select((item, i) => Contains(wholeArray[i], item)).All(match => match),
        _ => whole is JsonValue && ScalarText(whole) == ScalarText(part),
    };

    private static string ScalarText(JsonNode node)
    {
        var text = node.ToJsonString();
        return double.TryParse(text, System.Globalization.NumberStyles.Float, System.Globalization.CultureInfo.InvariantCulture, out var number)
            ? number.ToString("R", System.Globalization.CultureInfo.InvariantCulture)
            : text;
    }
}
