namespace RayPS.Sandbox.Http;

/// <summary>An ordered, case-insensitive, multi-valued header collection.</summary>
public sealed class HttpHeaders : IEnumerable<KeyValuePair<string, string>>
{
    private readonly List<KeyValuePair<string, string>> _items = [];

    /// <summary>The first value of a header, or null. Setting replaces all values (null removes).</summary>
    public string? this[string name]
    {
        get
        {
            foreach (var (key, value) in _items)
            {
                if (string.Equals(key, name, StringComparison.OrdinalIgnoreCase))
                {
                    return value;
                }
            }
            return null;
        }
        set
        {
            Remove(name);
            if (value is not null)
            {
                _items.Add(new(name, value));
            }
        }
    }

    public void Add(string name, string value) => _items.Add(new(name, value));

    public void Remove(string name) => _items.RemoveAll(p => string.Equals(p.Key, name, StringComparison.OrdinalIgnoreCase));

    public bool Contains(string name) => _items.Exists(p => string.Equals(p.Key, name, StringComparison.OrdinalIgnoreCase));

    public IReadOnlyList<string> GetValues(string name) =>
        _items.Where(p => string.Equals(p.Key, name, StringComparison.OrdinalIgnoreCase)).Select(p => p.Value).ToList();

    /// <summary>True when a comma-separated header (e.g. Connection) lists <paramref name="token"/>.</summary>
    public bool HasToken(string name, string token) =>
        GetValues(name).SelectMany(v => v.Split(',')).Any(t => string.Equals(t.Trim(), token, StringComparison.OrdinalIgnoreCase));

    public IEnumerator<KeyValuePair<string, string>> GetEnumerator() => _items.GetEnumerator();

    System.Collections.IEnumerator System.Collections.IEnumerable.GetEnumerator() => GetEnumerator();
}
