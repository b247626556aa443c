import Foundation

/// `fault_server.py` from this folder, running on a free loopback port for one test; killed on deinit.
final class FaultServer {
    let port: Int
    let scheme: String
    private let process = Process()

    /// With `certificate` and `key` (PEM paths) the server speaks HTTPS.
    init(certificate: String? = nil, key: String? = nil) throws {
        let script = URL(fileURLWithPath: #filePath).deletingLastPathComponent().appendingPathComponent("fault_server.py")
        process.executableURL = URL(fileURLWithPath: "/usr/bin/env")
        process.arguments = ["python3", script.path] + (certificate.map { ["--cert", $0, "--key", key ?? ""] } ?? [])
        let output = Pipe()
        process.standardOutput = output
        try process.run()
        let line = Self.firstLine(of: output.fileHandleForReading)
        guard let port = Int(line) else {
            process.terminate()
            throw FaultServerError(message: "fault_server.py printed \(line.debugDescription) instead of its port")
        }
        self.port = port
        scheme = certificate == nil ? "http" : "https"
    }

    deinit {
        process.terminate()
        process.waitUntilExit()
    }

    func url(_ pathAndQuery: String, host: String = "127.0.0.1") -> URL {
        URL(string: "\(scheme)://\(host):\(port)\(pathAndQuery)")!
    }

    private static func firstLine(of handle: FileHandle) -> String {
        var bytes = Data()
        while true {
            let byte = handle.readData(ofLength: 1)
            if byte.isEmpty || byte == Data("\n".utf8) { break }
            bytes.append(byte)
        }
        return String(decoding: bytes, as: UTF8.self)
    }
}

struct FaultServerError: Error, CustomStringConvertible {
    var message: String
    var description: String { message }
}

/// What `/echo` saw of a request.
struct Echo: Decodable {
    var method: String
    var path: String
    var headers: [String: String]
    var bodyBase64: String
    var clientPort: Int
    var requestOnConnection: Int

    var body: Data { Data(base64Encoded: bodyBase64) ?? Data() }

    init(_ data: Data) throws {
        let decoder = JSONDecoder()
        decoder.keyDecodingStrategy = .convertFromSnakeCase
        self = try decoder.decode(Echo.self, from: data)
    }
}
