using System.Security.Cryptography;

namespace RayPS.Sandbox.Resources;

/// <summary>The apiserver's random name suffixes (generateName, kube-api-access volumes).</summary>
internal static class RandomNames
{
    // utilrand's alphabet: no vowels (no accidental words) and no confusable characters.
    private const string Alphabet = "bcdfghjklmnpqrstvwxz2456789";

    public static string Suffix(int length = 5) => Suffix(null, length);

    /// <summary>A suffix drawn from <paramref name="random"/> (a seeded source), or cryptographic randomness when null.</summary>
    public static string Suffix(Random? random, int length = 5)
    {
        Span<char> chars = stackalloc char[length];
        if (random is null)
        {
            for (var i = 0; i < length; i++)
            {
                chars[i] = Alphabet[RandomNumberGenerator.GetInt32(Alphabet.Length)];
            }
            return new string(chars);
        }
        lock (random)
        {
            for (var i = 0; i < length; i++)
            {
                chars[i] = Alphabet[random.Next(Alphabet.Length)];
            }
        }
        return new string(chars);
    }

    /// <summary>rand.SafeEncodeString of a number's decimal form, as pod-template-hash is built.</summary>
    public static string SafeEncode(uint value)
    {
        var text = value.ToString(System.Globalization.CultureInfo.InvariantCulture);
        var chars = new char[text.Length];
        for (var i = 0; i < text.Length; i++)
        {
            chars[i] = Alphabet[text[i] % Alphabet.Length];
        }
        return new string(chars);
    }
}
