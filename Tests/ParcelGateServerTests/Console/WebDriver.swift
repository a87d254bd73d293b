import AsyncHTTPClient
import Foundation
import NIOCore

/// A W3C WebDriver client for Debian's `chromium-driver`: chromedriver on a loopback port, started under
/// `timeout(1)` so it cannot outlive a test that dies, with a deadline on every command.
final class WebDriver: @unchecked Sendable {
    static let chromedriver = "/usr/bin/chromedriver"
    static let chromium = "/usr/bin/chromium"
    static let elementKey = "element-6066-11e4-a52e-4f735466cecf"

    /// Whether Debian's `chromium` and `chromium-driver` are installed (`.ci/run` installs them).
    static var available: Bool {
        FileManager.default.isExecutableFile(atPath: chromedriver) && FileManager.default.isExecutableFile(atPath: chromium)
    }

    struct Failure: Error, CustomStringConvertible {
        let description: String
    }

    private let process: ChildProcess
    private let client: HTTPClient
    private let base: String
    private(set) var session = ""

    private init(process: ChildProcess, client: HTTPClient, base: String) {
        self.process = process
        self.client = client
        self.base = base
    }

    /// Starts chromedriver on a free loopback port and a headless Chromium session of `width`×`height`.
    static func start(port: Int, width: Int = 1280, height: Int = 900, lifetimeSeconds: Int = 300) async throws -> WebDriver {
        let process = ChildProcess()
        process.executableURL = URL(fileURLWithPath: "/usr/bin/timeout")
        // SIGKILL at the end of its lifetime: a test process may ignore SIGTERM, and children inherit that.
        process.arguments = ["--signal=KILL", String(lifetimeSeconds), chromedriver, "--port=\(port)", "--allowed-ips=127.0.0.1", "--log-level=OFF"]
        process.standardOutput = FileHandle.nullDevice
        process.standardError = FileHandle.nullDevice
        try process.run()
        let driver = WebDriver(process: process, client: HTTPClient(eventLoopGroupProvider: .singleton), base: "http://127.0.0.1:\(port)")
        do {
            let deadline = ContinuousClock.now.advanced(by: .seconds(20))
            while true {
                if let status = try? await driver.call("GET", "/status", timeout: 2), (status["value"] as? [String: Any])?["ready"] as? Bool == true { break }
                guard ContinuousClock.now < deadline else { throw Failure(description: "chromedriver did not become ready on port \(port)") }
                try await Task.sleep(for: .milliseconds(100))
            }
            let options: [String: Any] = [
                "binary": chromium,
                "args": ["--headless=new", "--no-sandbox", "--disable-gpu", "--disable-dev-shm-usage", "--no-first-run", "--disable-extensions",
                         "--window-size=\(width),\(height)", "--force-device-scale-factor=1", "--lang=en-US"],
            ]
            let created = try await driver.call("POST", "/session", ["capabilities": ["alwaysMatch": ["browserName": "chrome", "goog:chromeOptions": options]]],
                                                timeout: 60)
            guard let value = created["value"] as? [String: Any], let id = value["sessionId"] as? String else {
                throw Failure(description: "no WebDriver session: \(created)")
            }
            driver.session = id
            return driver
        } catch {
            await driver.quit()
            throw error
        }
    }

    /// Ends the browser session, chromedriver and the HTTP client.
    func quit() async {
        if !session.isEmpty { _ = try? await call("DELETE", "/session/\(session)", timeout: 15) }
        session = ""
        // chromedriver's own way out; failing that, SIGALRM tells `timeout` its time is up (it then sends
        // chromedriver SIGKILL). Not `waitUntilExit()`, which spins a run loop on Linux: polled instead.
        _ = try? await call("GET", "/shutdown", timeout: 5)
        for signal in [SIGALRM, SIGKILL] {
            for _ in 0..<30 where process.isRunning { try? await Task.sleep(for: .milliseconds(100)) }
            if process.isRunning { kill(process.processIdentifier, signal) }
        }
        try? await client.shutdown()
    }

    // MARK: Commands

    func navigate(_ url: String) async throws { _ = try await command("POST", "/url", ["url": url]) }

    var currentURL: String { get async throws { try await command("GET", "/url")["value"] as? String ?? "" } }

    var source: String { get async throws { try await command("GET", "/source")["value"] as? String ?? "" } }

    var title: String { get async throws { try await command("GET", "/title")["value"] as? String ?? "" } }

    func find(_ css: String) async throws -> String {
        let found = try await command("POST", "/element", ["using": "css selector", "value": css])
        guard let value = found["value"] as? [String: Any], let id = value[Self.elementKey] as? String else { throw Failure(description: "no element '\(css)': \(found)") }
        return id
    }

    func findAll(_ css: String) async throws -> [String] {
        let found = try await command("POST", "/elements", ["using": "css selector", "value": css])
        return (found["value"] as? [[String: Any]] ?? []).compactMap { $0[Self.elementKey] as? String }
    }

    func click(_ css: String) async throws { _ = try await command("POST", "/element/\(try await find(css))/click", [:]) }

    /// Clicks something that loads a new page, and waits until the new document has loaded.
    func clickAndWait(_ css: String, seconds: Double = 10) async throws {
        try await execute("window.__parcelgateOldPage = true;")
        try await click(css)
        let loaded = try await waitUntil(seconds: seconds) {
            (try await execute("return window.__parcelgateOldPage === undefined && document.readyState === 'complete';") as? Bool) == true
        }
        guard loaded else { throw Failure(description: "clicking '\(css)' loaded no new page") }
    }

    func type(_ css: String, _ text: String) async throws {
        let element = try await find(css)
        _ = try await command("POST", "/element/\(element)/clear", [:])
        _ = try await command("POST", "/element/\(element)/value", ["text": text])
    }

    func text(_ css: String) async throws -> String {
        try await command("GET", "/element/\(try await find(css))/text")["value"] as? String ?? ""
    }

    /// Runs `script` in the page (WebDriver's own channel: not subject to the page's CSP).
    @discardableResult
    func execute(_ script: String) async throws -> Any? {
        try await command("POST", "/execute/sync", ["script": script, "args": [Any]()])["value"]
    }

    func cookies() async throws -> [[String: Any]] { try await command("GET", "/cookie")["value"] as? [[String: Any]] ?? [] }

    func addCookie(name: String, value: String, path: String = "/console") async throws {
        _ = try await command("POST", "/cookie", ["cookie": ["name": name, "value": value, "path": path, "httpOnly": true, "sameSite": "Strict"]])
    }

    func deleteCookies() async throws { _ = try await command("DELETE", "/cookie") }

    /// A PNG of the viewport.
    func screenshot() async throws -> Data {
        guard let text = try await command("GET", "/screenshot")["value"] as? String, let data = Data(base64Encoded: text) else {
            throw Failure(description: "no screenshot")
        }
        return data
    }

    /// A PNG of the whole page: the window grown to the document's height first, then put back.
    func fullPageScreenshot(width: Int = 1280, minHeight: Int = 900) async throws -> Data {
        let height = (try await execute("return Math.ceil(document.documentElement.scrollHeight);") as? NSNumber)?.intValue ?? minHeight
        _ = try await command("POST", "/window/rect", ["width": width, "height": min(max(height + 140, minHeight), 6000)])
        defer { Task { _ = try? await self.command("POST", "/window/rect", ["width": width, "height": minHeight]) } }
        return try await screenshot()
    }

    /// Polls `condition` until it holds or `seconds` pass.
    func waitUntil(seconds: Double = 10, _ condition: () async throws -> Bool) async throws -> Bool {
        let deadline = ContinuousClock.now.advanced(by: .milliseconds(Int(seconds * 1000)))
        while ContinuousClock.now < deadline {
            if try await condition() { return true }
            try await Task.sleep(for: .milliseconds(100))
        }
        return try await condition()
    }

    // MARK: Transport

    @discardableResult
    func command(_ method: String, _ path: String, _ body: [String: Any]? = nil) async throws -> [String: Any] {
        try await call(method, "/session/\(session)" + path, body, timeout: 30)
    }

    private func call(_ method: String, _ path: String, _ body: [String: Any]? = nil, timeout: Int64) async throws -> [String: Any] {
        var request = HTTPClientRequest(url: base + path)
        request.method = .init(rawValue: method)
        if let body {
            request.headers.add(name: "Content-Type", value: "application/json; charset=utf-8")
            request.body = .bytes(ByteBuffer(bytes: try JSONSerialization.data(withJSONObject: body)))
        }
        if ProcessInfo.processInfo.environment["PARCELGATE_BROWSER_TRACE"] == "1" {
            FileHandle.standardError.write(Data("[webdriver] \(method) \(path)\n".utf8))
        }
        let response = try await client.execute(request, timeout: .seconds(timeout))
        if ProcessInfo.processInfo.environment["PARCELGATE_BROWSER_TRACE"] == "1" {
            FileHandle.standardError.write(Data("[webdriver] \(method) \(path) answered \(response.status.code)\n".utf8))
        }
        let bytes = try await response.body.collect(upTo: 64 << 20)
        let json = (try? JSONSerialization.jsonObject(with: Data(bytes.readableBytesView))) as? [String: Any] ?? [:]
        guard (200..<300).contains(Int(response.status.code)) else {
            throw Failure(description: "WebDriver \(method) \(path): \(response.status.code) \(json["value"].map { "\($0)" } ?? "")")
        }
        return json
    }
}
