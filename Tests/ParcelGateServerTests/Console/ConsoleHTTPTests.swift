import Foundation
@testable import ParcelGateCarriers
@testable import ParcelGateClient
@testable import ParcelGateCore
@testable import ParcelGateServer
@testable import ParcelGateStore
import Testing

/// The console over HTTP on a real loopback gateway (issue 17): sessions, cookie flags, CSRF, the
/// Content-Security-Policy, sign-in limits, and what each kind of session may see.
@Suite(.timeLimit(.minutes(3))) struct ConsoleHTTPTests {
    static func config(_ change: (inout ConsoleConfig) -> Void = { _ in }) -> GatewayConfig {
        var config = TestGateway.defaultConfig()
        change(&config.console)
        return config
    }

    @Test func signInSetsAStrictSessionCookieAndEveryPageHasTheCSP() async throws {
        try await TestGateway.run(config: Self.config()) { gateway in
            let client = ConsoleClient(gateway)
            let unauthenticated = try await client.get("/console")
            #expect(unauthenticated.status == 303)
            #expect(unauthenticated.header("Location") == "/console/login")
            let login = try await client.get("/console/login")
            #expect(login.status == 200)
            #expect(login.header("Content-Security-Policy") == ConsoleResponse.contentSecurityPolicy)
            #expect(login.header("Content-Security-Policy")?.contains("script-src 'self'") == true)
            #expect(!login.text.contains("<script>"), "no inline script")
            #expect(!login.text.contains("style="), "no inline style")
            #expect(login.text.contains(#"<label for="key">"#))
            let signedIn = try await client.signIn(TestGateway.apiKey)
            #expect(signedIn.status == 303)
            let session = try #require(client.lastSetCookies.first { $0.hasPrefix("parcelgate_session=") })
            for flag in ["HttpOnly", "SameSite=Strict", "Path=/console", "Max-Age=28800"] { #expect(session.contains(flag), "\(session)") }
            #expect(!session.contains("Secure"))
            let token = try #require(client.cookies["parcelgate_session"])
            // Only the digest is stored: the token itself finds nothing.
            let now = gateway.clock.now()
            #expect(try await gateway.store.consoleSession(digest: ConsoleSessions.digest(of: token), now: now)?.tenant == "shopstream")
            #expect(try await gateway.store.consoleSession(digest: token, now: now) == nil)
            for path in ["/console", "/console/fulfillments", "/console/queue", "/console/queue?status=exhausted", "/console/endpoints"] {
                let page = try await client.get(path)
                #expect(page.status == 200, "\(path): \(page.text)")
                #expect(page.header("Content-Security-Policy") == ConsoleResponse.contentSecurityPolicy, "\(path)")
                #expect(page.header("Cache-Control") == "no-store")
                #expect(page.header("X-Content-Type-Options") == "nosniff")
                #expect(page.header("Content-Type") == "text/html; charset=utf-8")
                #expect(!page.text.contains(TestGateway.apiKey))
            }
            let css = try await client.get("/console/style.css")
            #expect(css.status == 200 && css.header("Content-Type")?.hasPrefix("text/css") == true)
            let js = try await client.get("/console/app.js")
            #expect(js.status == 200 && js.header("Content-Type")?.hasPrefix("text/javascript") == true)
        }
    }

    @Test func behindTLSTheCookieIsSecure() async throws {
        try await TestGateway.run(config: Self.config { $0.secureCookie = true }) { gateway in
            let client = ConsoleClient(gateway)
            _ = try await client.get("/console/login")
            #expect(client.lastSetCookies.allSatisfy { $0.contains("; Secure") })
            try await client.signIn(TestGateway.apiKey)
            #expect(client.lastSetCookies.contains { $0.hasPrefix("parcelgate_session=") && $0.contains("; Secure") })
        }
    }

    @Test func formsWithoutOrWithAStaleCSRFTokenAreRefused() async throws {
        try await TestGateway.run(config: Self.config()) { gateway in
            let client = ConsoleClient(gateway)
            // The sign-in form too.
            _ = try await client.get("/console/login")
            #expect(try await client.post("/console/login", [("key", TestGateway.apiKey)]).status == 403)
            #expect(client.cookies["parcelgate_session"] == nil)
            try await client.signIn(TestGateway.apiKey)
            let stale = try await client.csrfToken(at: "/console")
            #expect(try await client.post("/console/logout", []).status == 403)
            #expect(try await client.post("/console/logout", [("csrf_token", String(repeating: "0", count: 64))]).status == 403)
            // A new session: the first one's token is stale.
            try await client.post("/console/logout", [("csrf_token", stale)])
            try await client.signIn(TestGateway.apiKey)
            let refused = try await client.post("/console/queue/replay", [("csrf_token", stale), ("only", "shopstream/r1")])
            #expect(refused.status == 403)
            #expect(refused.text.contains("refused"))
            // The right token passes the check (and then the form is judged: no such entry).
            let fresh = try await client.csrfToken(at: "/console/queue")
            let accepted = try await client.post("/console/queue/replay", [("csrf_token", fresh), ("only", "shopstream/r1")])
            #expect(accepted.status == 303)
            // Only form encoding is read.
            #expect(try await client.post("/console/logout", [("csrf_token", fresh)], contentType: "application/json").status == 400)
        }
    }

    @Test func signingOutEndsTheSessionEverywhere() async throws {
        try await TestGateway.run(config: Self.config()) { gateway in
            let client = ConsoleClient(gateway)
            try await client.signIn(TestGateway.apiKey)
            let cookie = try #require(client.cookies["parcelgate_session"])
            let token = try await client.csrfToken(at: "/console")
            let out = try await client.post("/console/logout", [("csrf_token", token)])
            #expect(out.status == 303)
            #expect(out.header("Location") == "/console/login?done=signed-out")
            #expect(client.lastSetCookies.contains { $0.hasPrefix("parcelgate_session=;") && $0.contains("Max-Age=0") })
            // The old cookie, replayed: no longer a session.
            client.setCookie("parcelgate_session", cookie)
            #expect(try await client.get("/console").header("Location") == "/console/login")
            #expect(try await client.post("/console/logout", [("csrf_token", token)]).status == 401)
        }
    }

    @Test func sessionsExpire() async throws {
        try await TestGateway.run(config: Self.config { $0.sessionTTLSeconds = 60 }) { gateway in
            let client = ConsoleClient(gateway)
            try await client.signIn(TestGateway.apiKey)
            #expect(try await client.get("/console").status == 200)
            gateway.clock.advance(seconds: 59)
            #expect(try await client.get("/console").status == 200)
            gateway.clock.advance(seconds: 2)
            let expired = try await client.get("/console")
            #expect(expired.status == 303)
            #expect(expired.header("Location") == "/console/login")
        }
    }

    @Test func signInIsRateLimitedPerClient() async throws {
        try await TestGateway.run(config: Self.config { $0.signInPerMinute = 3 }) { gateway in
            let client = ConsoleClient(gateway)
            for _ in 0..<3 { #expect(try await client.signIn("wrong-key").status == 401) }
            let limited = try await client.signIn(TestGateway.apiKey)
            #expect(limited.status == 429)
            #expect(limited.header("Retry-After").flatMap { Int($0) }.map { $0 >= 1 } == true)
            #expect(client.cookies["parcelgate_session"] == nil)
            gateway.clock.advance(seconds: 20)
            #expect(try await client.signIn(TestGateway.apiKey).status == 303)
        }
    }

    @Test func keysNeverReachTheLogs() async throws {
        let capture = LogCapture()
        let statuses = try await TestGateway.run(config: Self.config(), logHandler: capture.handler) { gateway in
            var statuses: [Int] = []
            for key in [TestGateway.apiKey, TestGateway.operatorKey, "not-a-key-but-secret-looking"] {
                statuses.append(try await ConsoleClient(gateway).signIn(key).status)
            }
            return statuses
        }
        #expect(statuses == [303, 303, 401])
        let logs = capture.all.joined(separator: "\n")
        for secret in [TestGateway.apiKey, TestGateway.operatorKey, "not-a-key-but-secret-looking"] { #expect(!logs.contains(secret)) }
    }

    @Test func aTenantSeesOnlyItsOwnDataWhileTheOperatorSeesEveryTenant() async throws {
        try await TestGateway.run(config: Self.config()) { gateway in
            try await gateway.shippedFulfillment(id: "mine-1", trackingNumber: "TN-MINE")
            try await gateway.api("POST", "/v1/fulfillments", json: #"{"order_id":"order-theirs","id":"theirs-1"}"#, key: TestGateway.otherApiKey).expect(201)
            let tenant = ConsoleClient(gateway)
            try await tenant.signIn(TestGateway.apiKey)
            let list = try await tenant.get("/console/fulfillments")
            #expect(list.text.contains("mine-1"))
            #expect(!list.text.contains("theirs-1"))
            #expect(!list.text.contains(#"id="tenant-filter""#), "no tenant filter for a tenant")
            #expect(!(try await tenant.get("/console/fulfillments?q=order-theirs")).text.contains("theirs-1"))
            #expect(try await tenant.get("/console/fulfillments/theirs-1").status == 404)
            #expect(try await tenant.get("/console/fulfillments/theirs-1?tenant=other").status == 404)
            #expect(try await tenant.get("/console?tenant=other").status == 404)
            #expect(try await tenant.get("/console/tenants").status == 404)
            let mine = try await tenant.get("/console/fulfillments?q=TN-MINE")
            #expect(mine.text.contains("mine-1"))
            #expect(try await tenant.get("/console/fulfillments/mine-1").status == 200)

            let operatorClient = ConsoleClient(gateway)
            try await operatorClient.signIn(TestGateway.operatorKey)
            let all = try await operatorClient.get("/console/fulfillments")
            #expect(all.text.contains("mine-1") && all.text.contains("theirs-1"))
            #expect(all.text.contains(#"id="tenant-filter""#))
            let filtered = try await operatorClient.get("/console/fulfillments?tenant=other")
            #expect(filtered.text.contains("theirs-1") && !filtered.text.contains("mine-1"))
            #expect(try await operatorClient.get("/console/fulfillments/theirs-1?tenant=other").status == 200)
            #expect(try await operatorClient.get("/console/fulfillments/theirs-1").status == 404, "the operator names the tenant")
            #expect(try await operatorClient.get("/console?tenant=nobody").status == 404)
            let tenants = try await operatorClient.get("/console/tenants")
            #expect(tenants.status == 200)
            #expect(tenants.text.contains("shopstream") && tenants.text.contains("other"))
            #expect(!tenants.text.contains(TestGateway.secret) && !tenants.text.contains(TestGateway.apiKey))
            // A tenant's form naming another tenant's entry is refused like a missing one.
            let token = try await tenant.csrfToken(at: "/console/queue")
            #expect(try await tenant.post("/console/queue/replay", [("csrf_token", token), ("only", "other/r1")]).status == 404)
        }
    }

    @Test func everythingShownIsEscapedAndHostileInputIsRefused() async throws {
        try await TestGateway.run(config: Self.config()) { gateway in
            try await gateway.api("POST", "/v1/fulfillments", json: #"{"order_id":"<script>alert(1)</script>","id":"x1"}"#).expect(201)
            let client = ConsoleClient(gateway)
            try await client.signIn(TestGateway.apiKey)
            let page = try await client.get("/console/fulfillments/x1")
            #expect(page.status == 200)
            #expect(page.text.contains("&lt;script&gt;alert(1)&lt;/script&gt;"))
            #expect(!page.text.contains("<script>alert(1)"))
            let search = try await client.get("/console/fulfillments?q=%22%3E%3Cimg%20src%3Dx%3E")
            #expect(search.text.contains("&quot;&gt;&lt;img src=x&gt;"))
            #expect(!search.text.contains("<img src=x>"))
            #expect(try await client.get("/console/fulfillments?after=bad").status == 400)
            #expect(try await client.get("/console/queue?status=everything").status == 400)
            #expect(try await client.get("/console/fulfillments/x1%0A").status == 400)
            let token = try await client.csrfToken(at: "/console")
            #expect(try await gateway.request("POST", "/console/queue/replay", headers: client.cookieHeader + [("Content-Type", "application/x-www-form-urlencoded")],
                                              body: Array("csrf_token=\(token)&only=%ZZ".utf8)).status == 400)
            #expect(try await gateway.request("POST", "/console/queue/replay", headers: client.cookieHeader + [("Content-Type", "application/x-www-form-urlencoded")],
                                              body: Array("csrf_token=\(token)&only=%FF".utf8)).status == 400)
        }
    }

    /// The overview reads the read models: callbacks per minute by outcome, statuses and exceptions from the projections.
    @Test func theOverviewChartsCallbacksFromTheReadModels() async throws {
        try await TestGateway.run(config: Self.config()) { gateway in
            try await gateway.shippedFulfillment(id: "f1", trackingNumber: "TN-1")
            try await gateway.callback(#"{"event_id":"e0","tracking_number":"TN-1","status":"in_transit","occurred_at":"2026-11-27T09:00:00Z"}"#).expect(200)
            let scan = #"{"event_id":"e1","tracking_number":"TN-1","status":"delivery_failed","occurred_at":"2026-11-27T10:00:00Z"}"#
            try await gateway.callback(scan).expect(200)
            try await gateway.callback(scan).expect(200)
            let client = ConsoleClient(gateway)
            try await client.signIn(TestGateway.apiKey)
            let page = try await client.get("/console")
            #expect(page.status == 200)
            #expect(page.text.contains(#"aria-label="Callbacks per minute by outcome, last hour""#))
            #expect(page.text.contains("applied: 2") && page.text.contains("duplicate: 1") && page.text.contains("rejected: 0"))
            #expect(page.text.contains("<title>EXCEPTION: 1</title>"))
            #expect(page.text.contains("<title>generic: 1</title>"), "exceptions by carrier")
            // The other tenant's overview counts none of it.
            let other = ConsoleClient(gateway)
            try await other.signIn(TestGateway.otherApiKey)
            let theirs = try await other.get("/console")
            #expect(theirs.text.contains("No callback in the last hour.") && theirs.text.contains("<title>EXCEPTION: 0</title>"))
        }
    }

    @Test func theConsoleBlockIsCheckedAtLoad() throws {
        let config = try GatewayConfig.parse("console: {secure_cookie: true, session_ttl_s: 600, sign_in_per_minute: 5}")
        #expect(config.console == ConsoleConfig(secureCookie: true, sessionTTLSeconds: 600, signInPerMinute: 5))
        #expect(try GatewayConfig.parse("{}").console == ConsoleConfig())
        for bad in ["console: {session_ttl: 600}", "console: {session_ttl_s: 59}", "console: {session_ttl_s: 604801}",
                    "console: {sign_in_per_minute: 0}", "console: {secure_cookie: maybe}"] {
            #expect(throws: GatewayError.self, "\(bad)") { try GatewayConfig.parse(bad) }
        }
    }

    @Test func formParsingIsStrict() throws {
        let form = try ConsoleForm.parse(Array("a=1&b=x+y&c=%C3%A9&c=2&empty=&flag".utf8))
        #expect(form.value("a") == "1")
        #expect(form.value("b") == "x y")
        #expect(form.values("c") == ["é", "2"])
        #expect(form.value("empty") == "")
        #expect(form.value("flag") == "")
        for bad in ["a=%", "a=%4", "a=%G0", "a=%00", "%0A=1", "=1", "a=%80"] {
            #expect(throws: GatewayError.self, "\(bad)") { try ConsoleForm.parse(Array(bad.utf8)) }
        }
        #expect(try ConsoleForm.parse(Array("note=line%0Aline".utf8)).value("note") == "line\nline")
    }

    @Test func chartsAreEscapedSVG() {
        let svg = SVGChart.horizontalBars(title: "A <b>", rows: [("x\"&", 3), ("y", 0)])
        #expect(svg.hasPrefix("<svg") && svg.hasSuffix("</svg>"))
        #expect(svg.contains("x&quot;&amp;") && !svg.contains("<b>"))
        let bars = SVGChart.stackedBars(title: "t", series: ConsoleRoutes.outcomeSeries, bars: (0..<60).map { SVGChart.Bar(label: "\($0)", values: [$0, 1, 0, 2, 1]) })
        #expect(bars.contains("fill-applied") && bars.contains("fill-rejected"))
        #expect(SVGChart.niceCeiling(0) == 1 && SVGChart.niceCeiling(7) == 10 && SVGChart.niceCeiling(13) == 20 && SVGChart.niceCeiling(101) == 200)
    }
}
