import BriefingSync
import CCurl

extension TransportError {
    /// The sync core's view of a failed libcurl transfer. `detail` is curl's error buffer (or its generic
    /// text), which names the cause — "certificate", "timed out", "transfer closed" — and never carries
    /// request headers, so an Authorization token cannot leak through it.
    static func fromCurl(_ code: CURLcode, detail: String, responseLimit: Int, bodyExceededLimit: Bool) -> TransportError {
        if bodyExceededLimit || code == CURLE_FILESIZE_EXCEEDED {
            return .responseTooLarge(limit: responseLimit)
        }
        switch code {
        case CURLE_COULDNT_CONNECT, CURLE_COULDNT_RESOLVE_HOST, CURLE_COULDNT_RESOLVE_PROXY:
            return .unreachable(detail)
        case CURLE_OPERATION_TIMEDOUT:
            return .timedOut(detail)
        case CURLE_TOO_MANY_REDIRECTS, CURLE_UNSUPPORTED_PROTOCOL, CURLE_URL_MALFORMAT:
            return .refused(detail)
        case _ where isTLSFailure(code):
            return .tls(detail)
        default:
            // PARTIAL_FILE ("transfer closed with outstanding read data"), RECV_ERROR, SEND_ERROR,
            // GOT_NOTHING, BAD_CONTENT_ENCODING, HTTP/2 stream resets and the rarer codes all mean the
            // exchange broke off midway; another attempt may well succeed.
            return .interrupted(detail)
        }
    }

    private static func isTLSFailure(_ code: CURLcode) -> Bool {
        [
            CURLE_SSL_CONNECT_ERROR, CURLE_PEER_FAILED_VERIFICATION, CURLE_SSL_CERTPROBLEM, CURLE_SSL_CIPHER,
            CURLE_SSL_CACERT_BADFILE, CURLE_SSL_ENGINE_NOTFOUND, CURLE_SSL_ENGINE_SETFAILED,
            CURLE_SSL_ENGINE_INITFAILED, CURLE_SSL_SHUTDOWN_FAILED, CURLE_SSL_CRL_BADFILE,
            CURLE_SSL_ISSUER_ERROR, CURLE_SSL_PINNEDPUBKEYNOTMATCH, CURLE_SSL_INVALIDCERTSTATUS,
            CURLE_SSL_CLIENTCERT, CURLE_USE_SSL_FAILED,
        ].contains(code)
    }
}
