import Foundation
import BriefingTestSupport
#if canImport(Glibc)
import Glibc
#endif

/// A third-party web server serving a directory of files on 127.0.0.1, started by a test and killed
/// on deinit. Its access log tells what the client asked and what it was answered.
protocol StaticFeedServer: AnyObject {
    var root: TemporaryDirectory { get }
    var baseURL: URL { get }
    /// One line per request, in the server's own log format.
    func accessLog() -> [String]
}

extension StaticFeedServer {
    func url(_ name: String) -> URL { baseURL.appendingPathComponent(name) }

    /// Writes `feed` as `name` with the given modification time (the server's Last-Modified and, for
    /// nginx, part of the ETag). One-second validators cannot tell two writes within a second apart, so
    /// tests set the time instead of sleeping.
    func write(_ name: String, _ feed: [String: Any], modified: Date) throws {
        try write(name, JSONSerialization.data(withJSONObject: feed, options: [.sortedKeys]), modified: modified)
    }

    func write(_ name: String, _ data: Data, modified: Date) throws {
        let path = root.path(name)
        try data.write(to: URL(fileURLWithPath: path))
        try FileManager.default.setAttributes([.modificationDate: modified], ofItemAtPath: path)
    }

    /// Access-log lines of requests for `name` answered with `status`.
    func requests(for name: String, status: Int) -> [String] {
        accessLog().filter { $0.contains("/\(name) ") && $0.contains(" \(status) ") }
    }
}

/// `python3 -m http.server`: Last-Modified and If-Modified-Since only, no ETag, no gzip. It logs each
/// request to stderr: `127.0.0.1 - - [date] "GET /feed.json HTTP/1.1" 304 -`.
final class PythonFeedServer: StaticFeedServer {
    let root: TemporaryDirectory
    let baseURL: URL
    private let process: Process
    private let log: URL

    init() throws {
        root = try TemporaryDirectory()
        let log = root.url.appendingPathComponent("../python-\(UUID().uuidString).log").standardized
        self.log = log
        let served = self.root
        (process, baseURL) = try startOnFreePort(root: served, log: { (try? String(contentsOf: log, encoding: .utf8)) ?? "" }) { port in
            _ = FileManager.default.createFile(atPath: log.path, contents: nil)
            let process = Process()
            let python = FileManager.default.isExecutableFile(atPath: "/usr/bin/python3") ? "/usr/bin/python3" : "python3"
            process.executableURL = URL(fileURLWithPath: "/usr/bin/env")
            process.arguments = [python, "-m", "http.server", String(port), "--bind", "127.0.0.1", "--directory", served.url.path]
            process.environment = ProcessInfo.processInfo.environment.merging(["PYTHONUNBUFFERED": "1"]) { $1 }
            process.standardOutput = FileHandle.nullDevice
            process.standardError = try FileHandle(forWritingTo: log)
            try process.run()
            return process
        }
    }

    func accessLog() -> [String] {
        ((try? String(contentsOf: log, encoding: .utf8)) ?? "").split(separator: "\n").map(String.init)
            .filter { $0.contains("\"GET ") || $0.contains("\"HEAD ") }
    }

    deinit {
        stopForGood(process)
        try? FileManager.default.removeItem(at: log)
    }
}

/// nginx from Debian in the foreground (`daemon off; master_process off`), everything in a temp dir:
/// ETag and gzip on, plain http on one port and TLS with a self-signed certificate for 127.0.0.1 on
/// another. Access-log lines: `GET /feed.json 304 if_none_match="…" encoding=gzip`.
final class NginxFeedServer: StaticFeedServer {
    let root: TemporaryDirectory
    let baseURL: URL
    let tlsBaseURL: URL
    /// The self-signed certificate, to pass as `--ca-file`.
    let certificate: String
    private let work: TemporaryDirectory
    private let process: Process

    init() throws {
        root = try TemporaryDirectory()
        work = try TemporaryDirectory()
        certificate = work.path("cert.pem")
        let key = work.path("key.pem")
        let openssl = try run("/usr/bin/env", [
            "openssl", "req", "-x509", "-newkey", "ec", "-pkeyopt", "ec_paramgen_curve:prime256v1", "-nodes",
            "-keyout", key, "-out", certificate, "-days", "2", "-subj", "/CN=127.0.0.1",
            "-addext", "subjectAltName=IP:127.0.0.1",
        ])
        guard openssl.status == 0 else { throw TestError("openssl req → \(openssl.status): \(openssl.err)") }
        let tlsPort = try freeLoopbackPort()
        tlsBaseURL = URL(string: "https://127.0.0.1:\(tlsPort)/")!
        let w = work.url.path, served = self.root, scratch = self.work, cert = self.certificate
        let errorLog = { (try? String(contentsOfFile: "\(w)/error.log", encoding: .utf8)) ?? "" }
        (process, baseURL) = try startOnFreePort(root: served, log: errorLog) { port in
            let config = """
                daemon off;
                master_process off;
                worker_processes 1;
                pid \(w)/nginx.pid;
                error_log \(w)/error.log warn;
                events { worker_connections 64; }
                http {
                    types { application/feed+json json; text/html html; application/rss+xml xml; }
                    default_type application/octet-stream;
                    log_format feeds '$request_method $uri $status if_none_match="$http_if_none_match" '
                                     'if_modified_since="$http_if_modified_since" encoding=$sent_http_content_encoding';
                    access_log \(w)/access.log feeds;
                    client_body_temp_path \(w)/body;
                    proxy_temp_path \(w)/proxy;
                    fastcgi_temp_path \(w)/fastcgi;
                    uwsgi_temp_path \(w)/uwsgi;
                    scgi_temp_path \(w)/scgi;
                    etag on;
                    gzip on;
                    gzip_min_length 1;
                    gzip_types application/feed+json application/json;
                    server {
                        listen 127.0.0.1:\(port);
                        root \(served.url.path);
                    }
                    server {
                        listen 127.0.0.1:\(tlsPort) ssl;
                        ssl_certificate \(cert);
                        ssl_certificate_key \(key);
                        root \(served.url.path);
                    }
                }
                """
            try config.write(toFile: scratch.path("nginx.conf"), atomically: true, encoding: .utf8)
            let process = Process()
            process.executableURL = URL(fileURLWithPath: FileManager.default.isExecutableFile(atPath: "/usr/sbin/nginx")
                                        ? "/usr/sbin/nginx" : "/usr/bin/nginx")
            process.arguments = ["-p", w, "-e", "\(w)/error.log", "-c", scratch.path("nginx.conf")]
            process.standardOutput = FileHandle.nullDevice
            process.standardError = FileHandle.nullDevice
            try process.run()
            return process
        }
        try waitUntilListening(port: tlsPort, process: process, log: errorLog)
    }

    func tlsURL(_ name: String) -> URL { tlsBaseURL.appendingPathComponent(name) }

    func accessLog() -> [String] {
        ((try? String(contentsOfFile: work.path("access.log"), encoding: .utf8)) ?? "").split(separator: "\n").map(String.init)
    }

    deinit { stopForGood(process) }
}

/// Starts a server with `launch(port)` on a free port and waits until it serves a file from `root`: a port
/// taken by someone else between choosing and binding it only means another try, never a test talking to
/// the wrong server.
func startOnFreePort(root: TemporaryDirectory, log: () -> String,
                     _ launch: (Int) throws -> Process) throws -> (Process, URL) {
    var failure: Error = TestError("no attempt")
    for _ in 0..<3 {
        let port = try freeLoopbackPort()
        let marker = UUID().uuidString
        try Data(marker.utf8).write(to: root.url.appendingPathComponent("ready.txt"))
        let process = try launch(port)
        let url = URL(string: "http://127.0.0.1:\(port)/")!
        do {
            try waitUntilListening(port: port, process: process, log: log)
            let answer = try HTTP.get(url.appendingPathComponent("ready.txt"), timeout: 5)
            guard answer.status == 200, String(decoding: answer.body, as: UTF8.self) == marker, process.isRunning else {
                throw TestError("port \(port) is served by another process")
            }
            try? FileManager.default.removeItem(at: root.url.appendingPathComponent("ready.txt"))
            return (process, url)
        } catch {
            stopForGood(process)
            failure = error
        }
    }
    throw failure
}

/// SIGKILL and wait. A child of the test process inherits its blocked signal mask, so Python would never
/// see a SIGTERM; these servers hold nothing worth a graceful stop.
func stopForGood(_ process: Process) {
    if process.isRunning { kill(process.processIdentifier, SIGKILL) }
    process.waitUntilExit()
}

/// A port nothing listens on right now: bound to 127.0.0.1:0, read back, released.
func freeLoopbackPort() throws -> Int {
    let fd = socket(AF_INET, Int32(SOCK_STREAM.rawValue), 0)
    guard fd >= 0 else { throw TestError("socket() failed") }
    defer { close(fd) }
    var address = sockaddr_in()
    address.sin_family = sa_family_t(AF_INET)
    address.sin_port = 0
    address.sin_addr.s_addr = inet_addr("127.0.0.1")
    var length = socklen_t(MemoryLayout<sockaddr_in>.size)
    let bound = withUnsafeMutablePointer(to: &address) { pointer in
        pointer.withMemoryRebound(to: sockaddr.self, capacity: 1) { sa -> Int32 in
            guard bind(fd, sa, length) == 0 else { return -1 }
            return getsockname(fd, sa, &length)
        }
    }
    guard bound == 0 else { throw TestError("bind() to 127.0.0.1:0 failed") }
    return Int(UInt16(bigEndian: address.sin_port))
}

/// Polls until something accepts connections on 127.0.0.1:`port`; fails with the server's log when the
/// process dies or 10 seconds pass.
func waitUntilListening(port: Int, process: Process, log: () -> String) throws {
    let deadline = Date().addingTimeInterval(10)
    while Date() < deadline {
        guard process.isRunning else { throw TestError("server exited (\(process.terminationStatus)): \(log())") }
        let fd = socket(AF_INET, Int32(SOCK_STREAM.rawValue), 0)
        var address = sockaddr_in()
        address.sin_family = sa_family_t(AF_INET)
        address.sin_port = in_port_t(UInt16(port).bigEndian)
        address.sin_addr.s_addr = inet_addr("127.0.0.1")
        let connected = withUnsafePointer(to: &address) { pointer in
            pointer.withMemoryRebound(to: sockaddr.self, capacity: 1) {
                connect(fd, $0, socklen_t(MemoryLayout<sockaddr_in>.size)) == 0
            }
        }
        close(fd)
        if connected { return }
        usleep(20_000)
    }
    throw TestError("nothing listening on 127.0.0.1:\(port) after 10 s: \(log())")
}
