import Foundation
@testable import ParcelGateCore
@testable import ParcelGateServer
@testable import ParcelGateStore
import Testing

/// The console in a real headless Chromium driven by WebDriver (issue 17), over a seeded demo database:
/// the story an operator and a platform engineer walk through, and the screenshots in docs/console/
/// (written only with `PARCELGATE_WRITE_SCREENSHOTS=1`, so a normal run leaves the tree clean).
@Suite(.timeLimit(.minutes(4))) struct ConsoleBrowserTests {
    static let screenshotsWanted = ProcessInfo.processInfo.environment["PARCELGATE_WRITE_SCREENSHOTS"] == "1"
    static let screenshotFolder = URL(fileURLWithPath: #filePath).deletingLastPathComponent().deletingLastPathComponent()
        .deletingLastPathComponent().deletingLastPathComponent().appendingPathComponent("docs/console")

    static let trackingNumber = "1Z999AA10123456784"
    static let tracing = ProcessInfo.processInfo.environment["PARCELGATE_BROWSER_TRACE"] == "1"

    /// With `PARCELGATE_BROWSER_TRACE=1`, each step on stderr (to see where a browser run stalls).
    func step(_ name: String) {
        guard Self.tracing else { return }
        FileHandle.standardError.write(Data("[browser] \(ContinuousClock.now) \(name)\n".utf8))
    }

    /// Writes `name`.png under docs/console when asked to.
    func snap(_ driver: WebDriver, _ name: String) async throws {
        guard Self.screenshotsWanted else { return }
        let png = try await driver.fullPageScreenshot()
        try FileManager.default.createDirectory(at: Self.screenshotFolder, withIntermediateDirectories: true)
        try png.write(to: Self.screenshotFolder.appendingPathComponent(name + ".png"))
    }

    /// A demo database: shipments in several states for two tenants, a dead letter whose shipment now exists,
    /// and an endpoint whose receiver answers 500.
    func seed(_ gateway: TestGateway, receiverURL: String) async throws -> (deadLetter: String, endpoint: String) {
        let endpoint = try await gateway.api("POST", "/v1/webhook-endpoints", json: #"""
            {"url":"\#(receiverURL)/hooks","description":"Shopstream order service","retry":{"schedule_s":[60,300,1800],"max_attempts":3}}
            """#).expect(201)["id"].string ?? ""
        try await gateway.shippedFulfillment(id: "ful-1001", trackingNumber: Self.trackingNumber, carrier: "generic")
        let scans = [
            ("in_transit", "2026-11-26T18:05:00Z", "Memphis, TN", "Departed FedEx hub"),
            ("in_transit", "2026-11-27T06:40:00Z", "Louisville, KY", "Arrived at sort facility"),
            ("out_for_delivery", "2026-11-27T08:15:00Z", "Brooklyn, NY", "On vehicle for delivery"),
            ("delivered", "2026-11-27T14:32:00Z", "Brooklyn, NY", "Delivered, front door"),
        ]
        for (index, scan) in scans.enumerated() {
            try await gateway.callback(#"""
                {"event_id":"scan-\#(index)","tracking_number":"\#(Self.trackingNumber)","status":"\#(scan.0)","occurred_at":"\#(scan.1)","location":"\#(scan.2)","description":"\#(scan.3)"}
                """#).expect(200)
        }
        for index in 2...6 {
            try await gateway.shippedFulfillment(id: "ful-100\(index)", trackingNumber: "TRK-100\(index)", carrier: index.isMultiple(of: 2) ? "generic" : "ups")
        }
        try await gateway.callback(#"{"event_id":"x1","tracking_number":"TRK-1002","status":"in_transit","occurred_at":"2026-11-27T09:00:00Z","location":"Newark, NJ"}"#).expect(200)
        try await gateway.callback(#"{"event_id":"x2","tracking_number":"TRK-1002","status":"delivery_failed","occurred_at":"2026-11-27T16:00:00Z","description":"Address not found"}"#).expect(200)
        try await gateway.callback(#"{"event_id":"x3","tracking_number":"TRK-1004","status":"in_transit","occurred_at":"2026-11-27T10:00:00Z"}"#).expect(200)
        try await gateway.api("POST", "/v1/fulfillments", json: #"{"order_id":"order-2107","id":"ful-1007"}"#).expect(201)
        // A callback for a shipment not registered yet: queued, then a dead letter.
        let queued = try await gateway.callback(#"{"event_id":"late-1","tracking_number":"TN-LATE-1","status":"in_transit","occurred_at":"2026-11-27T11:00:00Z","location":"Secaucus, NJ","description":"Arrived at facility"}"#).expect(202)
        let deadLetter = queued["retry_id"].string ?? ""
        try await gateway.callback(#"{"event_id":"late-2","tracking_number":"TN-PENDING-9","status":"in_transit","occurred_at":"2026-11-27T12:00:00Z"}"#).expect(202)
        let claimed = try await gateway.store.claimDue(limit: 10, leaseMilliseconds: 60_000, now: gateway.clock.now().adding(milliseconds: 3_600_000))
        let claim = try #require(claimed.first { $0.id == deadLetter })
        try await gateway.store.markExhausted(id: deadLetter, claimToken: claim.claimToken ?? "", reason: "No fulfillment matches tracking number TN-LATE-1",
                                              now: gateway.clock.now())
        try await gateway.shippedFulfillment(id: "ful-late", trackingNumber: "TN-LATE-1")
        // The other tenant.
        try await gateway.api("POST", "/v1/fulfillments", json: #"{"order_id":"order-9001","id":"theirs-2001"}"#, key: TestGateway.otherApiKey).expect(201)
        return (deadLetter, endpoint)
    }

    @Test(.enabled(if: WebDriver.available, "Skipped: Debian's chromium and chromium-driver are not installed (apt-get install chromium chromium-driver; .ci/run does)"))
    func theConsoleInARealBrowser() async throws {
        let receiver = try await LoopbackReceiver.start { _ in .respond(status: 500, body: #"{"error":"upstream unavailable"}"#) }
        defer { Task { await receiver.stop() } }
        var config = NotificationTests.config(pollMilliseconds: 20)
        config.console = ConsoleConfig()
        try await TestGateway.run(config: config) { gateway in
            step("seeding")
            let seeded = try await seed(gateway, receiverURL: receiver.url)
            step("seeded")
            #expect(try await gateway.eventually { receiver.requests.count >= 3 }, "the failing endpoint was tried")
            let driver = try await WebDriver.start(port: try await LoopbackReceiver.closedPort())
            step("browser started")
            do {
                try await walkThrough(driver, gateway: gateway, seeded: seeded)
                await driver.quit()
            } catch {
                await driver.quit()
                throw error
            }
        }
    }

    func walkThrough(_ driver: WebDriver, gateway: TestGateway, seeded: (deadLetter: String, endpoint: String)) async throws {
        let site = "http://127.0.0.1:\(gateway.port)"

        // Sign in as a tenant.
        step("Sign in as a tenant.")
        try await driver.navigate(site + "/console")
        #expect(try await driver.currentURL == site + "/console/login")
        try await snap(driver, "login")
        try await driver.type("#key", TestGateway.apiKey)
        try await driver.clickAndWait("form[action='/console/login'] button[type=submit]")
        #expect(try await driver.currentURL == site + "/console")
        #expect(try await driver.text("header .who").contains("tenant shopstream"))
        #expect(try await driver.source.contains("Fulfillments by status"))
        #expect(try await driver.findAll("svg.chart[aria-label^='Callbacks per minute'] rect.fill-applied").count >= 1)
        // The script loaded under the CSP: it shows the live-refresh switch, hidden without it.
        #expect(try await driver.execute("return document.querySelector('label.live') !== null && !document.querySelector('label.live').hidden;") as? Bool == true)
        try await snap(driver, "overview")

        // Find the fulfillment by tracking number; its four-event timeline.
        step("Find the fulfillment by tracking number; its four-event timeline.")
        try await driver.clickAndWait("a[href='/console/fulfillments']")
        try await driver.type("#q", Self.trackingNumber)
        try await driver.clickAndWait("form.search button[type=submit]")
        #expect(try await driver.source.contains("1 result(s)"))
        try await snap(driver, "fulfillments")
        try await driver.clickAndWait("a[href^='/console/fulfillments/ful-1001']")
        let timeline = try await driver.findAll("#timeline tbody tr")
        #expect(timeline.count == 4)
        let timelineText = try await driver.text("#timeline")
        for expected in ["Memphis", "Louisville", "out_for_delivery", "delivered", "Delivered, front door", "applied"] {
            #expect(timelineText.contains(expected), "\(expected) in \(timelineText)")
        }
        try await snap(driver, "fulfillment")

        // Open the dead letter, replay it, see it applied.
        step("Open the dead letter, replay it, see it applied.")
        try await driver.clickAndWait("a[href^='/console/queue']")
        try await driver.navigate(site + "/console/queue?status=exhausted")
        try await snap(driver, "queue")
        try await driver.clickAndWait("a[href^='/console/queue/\(seeded.deadLetter)']")
        #expect(try await driver.text("main").contains("exhausted"))
        try await driver.clickAndWait("form[action='/console/queue/replay'] button[name=only]")
        #expect(try await driver.text("[role=status]").contains("Replayed 1 callback"))
        let applied = try await driver.waitUntil {
            try await driver.navigate(site + "/console/queue/\(seeded.deadLetter)")
            return try await driver.text("main dl").contains("succeeded")
        }
        #expect(applied, "the replayed callback was applied")
        let log = try await driver.text("main table")
        #expect(log.contains("exhausted") && log.contains("succeeded"), "the attempt history: \(log)")
        try await snap(driver, "queue-entry")
        try await driver.navigate(site + "/console/fulfillments/ful-late")
        #expect(try await driver.text("#timeline").contains("Secaucus"))

        // A failing endpoint's attempts, and a retry.
        step("A failing endpoint's attempts, and a retry.")
        try await driver.clickAndWait("a[href^='/console/endpoints']")
        try await snap(driver, "endpoints")
        try await driver.clickAndWait("a[href^='/console/endpoints/\(seeded.endpoint)']")
        try await snap(driver, "endpoint")
        // The newest delivery that has been attempted (the circuit holds back the ones after the first failures).
        let tried = try await driver.execute("""
            return Array.from(document.querySelectorAll('main table tbody tr')).filter(function (row) { return row.cells[4].textContent.trim() !== '0'; })
                .map(function (row) { return row.querySelector('a').getAttribute('href'); })[0] || '';
            """) as? String ?? ""
        #expect(tried.hasPrefix("/console/deliveries/"))
        try await driver.navigate(site + tried)
        let attempts = try await driver.text("#attempts")
        #expect(attempts.contains("500") && attempts.contains("upstream unavailable"), "\(attempts)")
        let before = try await driver.findAll("#attempts tbody tr").count
        try await driver.clickAndWait("form[action$='/retry'] button[type=submit]")
        #expect(try await driver.text("[role=status]").contains("attempted again"))
        #expect(try await driver.findAll("#attempts tbody tr").count == before + 1)
        #expect(try await driver.text("#attempts").contains("manual"))
        try await snap(driver, "delivery")

        // A form posted without, or with a stale, CSRF token is refused.
        step("A form posted without, or with a stale, CSRF token is refused.")
        try await driver.execute("document.querySelector('form[action$=\"/retry\"] input[name=csrf_token]').value = '\(String(repeating: "0", count: 64))';")
        try await driver.clickAndWait("form[action$='/retry'] button[type=submit]")
        #expect(try await driver.title.hasPrefix("Form refused"))
        try await driver.navigate(site + "/console/queue?status=pending")
        try await driver.execute("document.querySelectorAll('form[action=\"/console/queue/replay\"] input[name=csrf_token]').forEach(function (e) { e.remove(); });")
        try await driver.clickAndWait("form[action='/console/queue/replay'] button[name=only]")
        let refusedTitle = try await driver.title
        let refusedText = try await driver.text("main")
        #expect(refusedTitle.hasPrefix("Form refused"), "\(refusedTitle): \(refusedText)")

        // A tenant never sees another tenant's data.
        step("A tenant never sees another tenant's data.")
        try await driver.navigate(site + "/console/fulfillments?q=order-9001")
        #expect(try await driver.source.contains("No fulfillment found"))
        try await driver.navigate(site + "/console/fulfillments/theirs-2001?tenant=other")
        #expect(try await driver.title.hasPrefix("Not found"))
        try await driver.navigate(site + "/console/fulfillments")
        #expect(!(try await driver.source.contains("theirs-2001")))

        // Sign out; the session cookie no longer works.
        step("Sign out; the session cookie no longer works.")
        let cookie = try #require(try await driver.cookies().first { $0["name"] as? String == "parcelgate_session" }?["value"] as? String)
        try await driver.clickAndWait("form[action='/console/logout'] button[type=submit]")
        #expect(try await driver.currentURL == site + "/console/login?done=signed-out")
        try await driver.addCookie(name: "parcelgate_session", value: cookie)
        try await driver.navigate(site + "/console/fulfillments")
        #expect(try await driver.currentURL == site + "/console/login")

        // The operator sees both tenants, and can narrow to one.
        step("The operator sees both tenants, and can narrow to one.")
        try await driver.deleteCookies()
        try await driver.navigate(site + "/console/login")
        try await driver.type("#key", TestGateway.operatorKey)
        try await driver.clickAndWait("form[action='/console/login'] button[type=submit]")
        #expect(try await driver.text("header .who").contains("operator"))
        try await driver.navigate(site + "/console/fulfillments")
        let everything = try await driver.source
        #expect(everything.contains("ful-1001") && everything.contains("theirs-2001"))
        try await snap(driver, "operator-fulfillments")
        try await driver.navigate(site + "/console/fulfillments?tenant=other")
        let narrowed = try await driver.source
        #expect(narrowed.contains("theirs-2001") && !narrowed.contains("ful-1001"))
        try await driver.clickAndWait("a[href='/console/tenants']")
        #expect(try await driver.text("main").contains("shopstream"))
        #expect(!(try await driver.source.contains(TestGateway.secret)))
        try await snap(driver, "tenants")
        // A narrow screen: the overview still reads.
        step("A narrow screen: the overview still reads.")
        _ = try await driver.command("POST", "/window/rect", ["width": 400, "height": 900])
        try await driver.navigate(site + "/console")
        let scrollWidth = (try await driver.execute("return document.documentElement.scrollWidth;") as? NSNumber)?.intValue ?? 0
        let innerWidth = (try await driver.execute("return window.innerWidth;") as? NSNumber)?.intValue ?? 0
        #expect(scrollWidth <= innerWidth + 1, "no sideways scrolling at 400 px: \(scrollWidth) > \(innerWidth)")
        if Self.screenshotsWanted {
            let png = try await driver.screenshot()
            try png.write(to: Self.screenshotFolder.appendingPathComponent("overview-narrow.png"))
        }
    }
}

