using System.Formats.Asn1;
using System.Security.Cryptography.X509Certificates;

namespace Meshwork.Protocol.Transport;

/// <summary>Reads the SPIFFE id (the spiffe:// URI SAN) of an X.509-SVID: the identity every mesh handshake is judged by.</summary>
public static class SpiffeCertificateId
{
    private const string SubjectAltNameOid = "2.5.29.17";
    private static readonly Asn1Tag UriTag = new(TagClass.ContextSpecific, 6);

    /// <summary>The first spiffe:// URI in the certificate's subject alternative names, or null.</summary>
    public static string? Read(X509Certificate2 certificate)
    {
        foreach (var extension in certificate.Extensions)
        {
            if (extension.Oid?.Value != SubjectAltNameOid)
                continue;
            try
            {
                var reader = new AsnReader(extension.RawData, AsnEncodingRules.DER);
                var names = reader.ReadSequence();
                while (names.HasData)
                {
                    var tag = names.PeekTag();
                    if (tag == UriTag)
                    {
                        var uri = names.ReadCharacterString(UniversalTagNumber.IA5String, UriTag);
                        if (uri.StartsWith("spiffe://", StringComparison.Ordinal))
                            return uri;
                    }
                    else
                    {
                        names.ReadEncodedValue();
                    }
                }
            }
            catch (AsnContentException)
            {
                return null;
            }
        }
        return null;
    }
}
