#if canImport(Security)
import Foundation
import Security

/// Trust evaluation against the certificates of a PEM file alone (a self-hosted server's private CA).
enum PrivateCA {
    static func evaluate(_ trust: SecTrust, anchorsFrom path: String) -> Bool {
        guard let pem = try? String(contentsOfFile: path, encoding: .utf8) else { return false }
        let certificates = pem.components(separatedBy: "-----END CERTIFICATE-----").compactMap { block -> SecCertificate? in
            guard let start = block.range(of: "-----BEGIN CERTIFICATE-----") else { return nil }
            let base64 = block[start.upperBound...].filter { !$0.isWhitespace }
            return Data(base64Encoded: String(base64)).flatMap { SecCertificateCreateWithData(nil, $0 as CFData) }
        }
        guard !certificates.isEmpty else { return false }
        SecTrustSetAnchorCertificates(trust, certificates as CFArray)
        SecTrustSetAnchorCertificatesOnly(trust, true)
        return SecTrustEvaluateWithError(trust, nil)
    }
}
#endif
