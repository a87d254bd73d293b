import Foundation
import HTTPTypes
import Hummingbird
import ParcelGateCore
import ParcelGateStore

/// The operator console at `/console` (README, "Console"): server-rendered pages over the store's reads and
/// the same operations the API offers, behind server-side sessions with CSRF tokens.
///
/// Each page is a plain GET with `<a href>` links between them; each action is a `<form method="post">` whose
/// CSRF token is checked before anything else is read from it. A tenant's session sees only that tenant:
/// another tenant's record is `404`, exactly like one that does not exist. The operator's session sees every
/// tenant, narrowed with `?tenant=`.
struct ConsoleRoutes: Sendable {
    let store: any GatewayStore
    let directory: DirectoryProvider
    let operatorKey: OperatorKey
    let sessions: ConsoleSessions
    let notifications: NotificationsRuntime
    let clock: any GatewayClock
    let proxies: TrustedProxies
    let renderer: ConsoleRenderer
    let signInLimiter: RateLimiter<String>
    let overviewSource: ConsoleOverviewSource
    /// Wakes the retry worker after a replay.
    let replayed: @Sendable () -> Void

    static let pageSize = 50
    static let listLimit = 100

    func register(on router: Router<GatewayRequestContext>) {
        router.get("/console/style.css") { _, _ in ConsoleResponse.asset(ConsoleAssets.css, type: "text/css; charset=utf-8") }
        router.get("/console/app.js") { _, _ in ConsoleResponse.asset(ConsoleAssets.javascript, type: "text/javascript; charset=utf-8") }
        router.get("/console/login") { request, _ in await self.guarded(nil) { () throws(GatewayError) in try await self.loginPage(request) } }
        router.post("/console/login") { request, context in await self.guarded(nil) { () throws(GatewayError) in try await self.signIn(request, context: context) } }
        router.post("/console/logout") { request, _ in await self.posted(request) { session, _ throws(GatewayError) in try await self.signOut(session) } }
        router.get("/console") { request, _ in await self.page(request) { session throws(GatewayError) in try await self.overview(request, session) } }
        router.get("/console/fulfillments") { request, _ in await self.page(request) { session throws(GatewayError) in try await self.fulfillments(request, session) } }
        router.get("/console/fulfillments/{id}") { request, context in
            await self.page(request) { session throws(GatewayError) in try await self.fulfillment(request, session, id: context.parameters.get("id")) }
        }
        router.get("/console/queue") { request, _ in await self.page(request) { session throws(GatewayError) in try await self.queue(request, session) } }
        router.get("/console/queue/{id}") { request, context in
            await self.page(request) { session throws(GatewayError) in try await self.retryEntry(request, session, id: context.parameters.get("id")) }
        }
        router.post("/console/queue/replay") { request, _ in await self.posted(request) { session, form throws(GatewayError) in try await self.replay(session, form) } }
        router.get("/console/endpoints") { request, _ in await self.page(request) { session throws(GatewayError) in try await self.endpoints(request, session) } }
        router.get("/console/endpoints/{id}") { request, context in
            await self.page(request) { session throws(GatewayError) in try await self.endpoint(request, session, id: context.parameters.get("id")) }
        }
        router.post("/console/endpoints/{id}/{action}") { request, context in
            await self.posted(request) { session, form throws(GatewayError) in
                try await self.endpointAction(session, form, id: context.parameters.get("id"), action: context.parameters.get("action"))
            }
        }
        router.get("/console/deliveries/{id}") { request, context in
            await self.page(request) { session throws(GatewayError) in try await self.delivery(request, session, id: context.parameters.get("id")) }
        }
        router.post("/console/deliveries/{id}/retry") { request, context in
            await self.posted(request) { session, form throws(GatewayError) in try await self.retryDelivery(session, form, id: context.parameters.get("id")) }
        }
        router.get("/console/tenants") { request, _ in await self.page(request) { session throws(GatewayError) in try await self.tenants(request, session) } }
    }

    // MARK: Guards

    /// A signed-in page: without a valid session, a redirect to the sign-in form; a failure, an error page.
    func page(_ request: Request, _ body: (ConsoleSession) async throws(GatewayError) -> Response) async -> Response {
        var session: ConsoleSession?
        do throws(GatewayError) {
            guard let current = try await sessions.current(request) else { return ConsoleResponse.redirect("/console/login") }
            session = current
            return try await body(current)
        } catch {
            return errorPage(error, session: session)
        }
    }

    /// A form post: a valid session and a matching CSRF token first (else 401 or 403, nothing done), then `body`.
    func posted(_ request: Request, _ body: (ConsoleSession, ConsoleForm) async throws(GatewayError) -> Response) async -> Response {
        var session: ConsoleSession?
        do throws(GatewayError) {
            guard let current = try await sessions.current(request) else {
                return ConsoleResponse.html(.unauthorized, renderer.render(ErrorView(
                    layout: layout("Signed out", session: nil, section: ""), message: "Your session has ended. Sign in again.",
                    back: "/console/login", backLabel: "Sign in"), "error"))
            }
            session = current
            let form = try await ConsoleForm.read(request)
            guard ConsoleSessions.csrfMatches(form.value("csrf_token"), expected: current.csrfToken) else {
                return ConsoleResponse.html(.forbidden, renderer.render(ErrorView(
                    layout: layout("Form refused", session: current, section: ""),
                    message: "This form was refused: its security token is missing or out of date. Reload the page and try again.",
                    back: "/console", backLabel: "Back to the overview"), "error"))
            }
            return try await body(current, form)
        } catch {
            return errorPage(error, session: session)
        }
    }

    func guarded(_ session: ConsoleSession?, _ body: () async throws(GatewayError) -> Response) async -> Response {
        do throws(GatewayError) {
            return try await body()
        } catch {
            return errorPage(error, session: session)
        }
    }

    func errorPage(_ error: GatewayError, session: ConsoleSession?) -> Response {
        let title: String
        switch error {
        case .notFound: title = "Not found"
        case .rateLimited: title = "Too many requests"
        case .badRequest, .invalidPayload: title = "Request refused"
        case .conflict, .invalidTransition: title = "Not possible now"
        case .payloadTooLarge: title = "Form too large"
        case .storeUnavailable, .overloaded: title = "Unavailable"
        default: title = "Something went wrong"
        }
        // Server-side failures are not described to the browser.
        let message = error.httpStatus >= 500 && !(error.code == "store_unavailable" || error.code == "overloaded")
            ? "The console could not answer. The gateway's log has the details." : error.detail
        var headers = HTTPFields()
        if case .rateLimited(let seconds) = error { headers[.retryAfter] = String(seconds) }
        return ConsoleResponse.html(ConsoleResponse.status(error), renderer.render(ErrorView(
            layout: layout(title, session: session, section: ""), message: message,
            back: session == nil ? "/console/login" : "/console", backLabel: session == nil ? "Sign in" : "Back to the overview"), "error"), headers: headers)
    }

    // MARK: Scope

    /// The tenants a page shows: the session's own, or for the operator every tenant or the one `?tenant=` names.
    struct Scope: Sendable {
        let tenants: [String]
        /// The tenant filter's value (always the tenant for a tenant's session).
        let selected: String?
    }

    func scope(_ request: Request, _ session: ConsoleSession) throws(GatewayError) -> Scope {
        let requested = request.uri.queryParameters.get("tenant").flatMap { $0.isEmpty ? nil : $0 }
        switch session.viewer {
        case .tenant(let slug):
            if let requested, requested != slug { throw .notFound("Not found") }
            return Scope(tenants: [slug], selected: slug)
        case .operator:
            let all = directory.current.tenants.sorted()
            guard let requested else { return Scope(tenants: all, selected: nil) }
            guard all.contains(requested) else { throw .notFound("Tenant not found") }
            return Scope(tenants: [requested], selected: requested)
        }
    }

    /// The one tenant a record page or an action is about: the session's own, or the one the operator names.
    func singleTenant(_ session: ConsoleSession, requested: String?) throws(GatewayError) -> String {
        let requested = requested.flatMap { $0.isEmpty ? nil : $0 }
        switch session.viewer {
        case .tenant(let slug):
            if let requested, requested != slug { throw .notFound("Not found") }
            return slug
        case .operator:
            guard let requested, directory.current.tenants.contains(requested) else { throw .notFound("Tenant not found: choose a tenant") }
            return requested
        }
    }

    // MARK: Layout

    func layout(_ title: String, session: ConsoleSession?, section: String, scope: Scope? = nil, filterAction: String? = nil,
                hidden: [HiddenField] = [], refresh: Bool = false, notice: String? = nil) -> LayoutView {
        guard let session else {
            return LayoutView(title: title, signedIn: false, viewer: "", csrfToken: "", nav: [], tenantFilter: nil, refresh: false, notice: notice, error: nil)
        }
        let suffix = session.isOperator ? (scope?.selected).map { "?tenant=" + Self.query($0) } ?? "" : ""
        var nav = [
            NavLink(label: "Overview", href: "/console" + suffix, current: section == "overview"),
            NavLink(label: "Fulfillments", href: "/console/fulfillments" + suffix, current: section == "fulfillments"),
            NavLink(label: "Inbound queue", href: "/console/queue" + suffix, current: section == "queue"),
            NavLink(label: "Endpoints", href: "/console/endpoints" + suffix, current: section == "endpoints"),
        ]
        if session.isOperator { nav.append(NavLink(label: "Tenants", href: "/console/tenants", current: section == "tenants")) }
        let viewer: String
        switch session.viewer {
        case .tenant(let slug): viewer = "tenant " + slug
        case .operator: viewer = "operator"
        }
        var filter: TenantFilterView?
        if session.isOperator, let filterAction {
            filter = TenantFilterView(action: filterAction, hidden: hidden,
                                      options: directory.current.tenants.sorted().map { TenantOption(value: $0, selected: $0 == scope?.selected) })
        }
        return LayoutView(title: title, signedIn: true, viewer: viewer, csrfToken: session.csrfToken, nav: nav, tenantFilter: filter,
                          refresh: refresh, notice: notice, error: nil)
    }

    /// What a `?done=` after an action reports; a fixed text per code (never text from the URL).
    static func notice(_ request: Request) -> String? {
        let query = request.uri.queryParameters
        let count = query.get("n").flatMap { StrictNumber.int($0, in: 0...100_000) }
        switch query.get("done") {
        case "replayed": return "Replayed \(count ?? 0) callback(s): they are due now."
        case "replay-failed": return "Replayed \(count ?? 0) callback(s); the others were not found or had already succeeded."
        case "enabled": return "The endpoint is enabled; held deliveries are on their way."
        case "disabled": return "The endpoint is disabled; new deliveries are held."
        case "tested": return "A test event was sent."
        case "recovered": return "\(count ?? 0) exhausted deliveries are pending again."
        case "retried": return "The delivery was attempted again."
        case "signed-out": return "You are signed out."
        default: return nil
        }
    }

    /// RFC 3986's unreserved characters, ASCII only (`.alphanumerics` would keep non-ASCII letters).
    static let unreserved = CharacterSet(charactersIn: "ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789-._~")

    /// A value for a URL path segment or query string: everything but the unreserved characters percent-encoded.
    static func query(_ value: String) -> String {
        value.addingPercentEncoding(withAllowedCharacters: unreserved) ?? ""
    }

    static func tenantQuery(_ tenant: String) -> String { "tenant=" + query(tenant) }

    // MARK: Sign-in and sign-out

    func loginPage(_ request: Request) async throws(GatewayError) -> Response {
        if try await sessions.current(request) != nil { return ConsoleResponse.redirect("/console") }
        return try freshLoginForm(status: .ok, notice: Self.notice(request), error: nil)
    }

    /// The sign-in form under a new sign-in cookie, whose derived token the form carries.
    func freshLoginForm(status: HTTPResponse.Status, notice: String?, error: String?, headers: HTTPFields = [:]) throws(GatewayError) -> Response {
        let token = ConsoleSessions.newToken()
        var fields = headers
        fields.append(HTTPField(name: .setCookie, value: sessions.setCookie(ConsoleSessions.signInCookie, value: token, maxAge: ConsoleSessions.signInCookieSeconds)))
        let base = layout("Sign in", session: nil, section: "", notice: notice)
        let view = LoginView(layout: LayoutView(title: base.title, signedIn: false, viewer: "", csrfToken: "", nav: [], tenantFilter: nil, refresh: false,
                                                notice: notice, error: error),
                             csrfToken: try ConsoleSessions.csrfToken(for: token))
        return ConsoleResponse.html(status, renderer.render(view, "login"), headers: fields)
    }

    func signIn(_ request: Request, context: GatewayRequestContext) async throws(GatewayError) -> Response {
        let client = proxies.client(peer: context.remoteAddress?.ipAddress, forwardedFor: RequestHeaders(fields: request.headers).values(for: "X-Forwarded-For"))
        do {
            try signInLimiter.admit(client, limit: sessions.config.signInLimit, now: clock.now())
        } catch {
            var headers = HTTPFields()
            if case .rateLimited(let seconds) = error { headers[.retryAfter] = String(seconds) }
            return try freshLoginForm(status: .tooManyRequests, notice: nil, error: "Too many sign-in attempts from your address. Wait a minute and try again.",
                                      headers: headers)
        }
        let form = try await ConsoleForm.read(request)
        guard let signInToken = ConsoleSessions.cookie(ConsoleSessions.signInCookie, in: request),
              ConsoleSessions.csrfMatches(form.value("csrf_token"), expected: try ConsoleSessions.csrfToken(for: signInToken))
        else {
            return try freshLoginForm(status: .forbidden, notice: nil, error: "The sign-in form had expired. Please try again.")
        }
        guard let key = form.value("key")?.trimmingWhitespace(), !key.isEmpty, key.utf8.count <= 512 else {
            return try freshLoginForm(status: .unauthorized, notice: nil, error: "Enter an API key or the operator key.")
        }
        let viewer: ConsoleViewer
        if operatorKey.matches(key) {
            viewer = .operator
        } else if let tenant = directory.current.tenant(forAPIKey: key) {
            viewer = .tenant(tenant)
        } else {
            return try freshLoginForm(status: .unauthorized, notice: nil, error: "That key is not valid.")
        }
        var headers = HTTPFields()
        headers.append(HTTPField(name: .setCookie, value: try await sessions.signIn(viewer)))
        headers.append(HTTPField(name: .setCookie, value: sessions.clearCookie(ConsoleSessions.signInCookie)))
        return ConsoleResponse.redirect("/console", headers: headers)
    }

    func signOut(_ session: ConsoleSession) async throws(GatewayError) -> Response {
        try await sessions.signOut(session)
        var headers = HTTPFields()
        headers.append(HTTPField(name: .setCookie, value: sessions.clearCookie(ConsoleSessions.sessionCookie)))
        return ConsoleResponse.redirect("/console/login?done=signed-out", headers: headers)
    }

    // MARK: Overview

    /// One series per ``ConsoleOverviewSource/outcomes`` entry, in that order.
    static let outcomeSeries = ConsoleOverviewSource.outcomes.map { SVGChart.Series(label: $0, cssClass: "fill-" + $0) }

    func overview(_ request: Request, _ session: ConsoleSession) async throws(GatewayError) -> Response {
        let scope = try scope(request, session)
        let now = clock.now()
        let data = try await overviewSource.overview(tenants: scope.tenants, now: now)
        let suffix = scope.selected.map { "?" + Self.tenantQuery($0) } ?? ""
        let minutes = data.callbacksPerMinute
        let totals = Self.outcomeSeries.indices.map { series in minutes.map { $0.counts.indices.contains(series) ? $0.counts[series] : 0 }.reduce(0, +) }
        var chart: CallbacksChartView?
        if totals.reduce(0, +) > 0 {
            let bars = minutes.map { minute in SVGChart.Bar(label: String(ConsoleFormat.time(minute.start).dropFirst(11).prefix(5)), values: minute.counts) }
            chart = CallbacksChartView(
                svg: SVGChart.stackedBars(title: "Callbacks per minute by outcome, last hour", series: Self.outcomeSeries, bars: bars),
                legend: zip(Self.outcomeSeries, totals).map { LegendEntry(label: $0.label, cssClass: $0.cssClass, total: $1) })
        }
        let statusRows = FulfillmentStatus.allCases.map { ($0.rawValue, data.fulfillmentsByStatus[$0.rawValue] ?? 0) }
        let exceptionRows = data.exceptionsByCarrier.sorted { ($1.value, $0.key) < ($0.value, $1.key) }.map { ($0.key.isEmpty ? "(none)" : $0.key, $0.value) }
        let deliveries = data.deliveriesByStatus
        let waiting = data.pendingRetries + data.deadLetters
        let states = data.endpointStates
        let view = OverviewView(
            layout: layout("Overview", session: session, section: "overview", scope: scope, filterAction: "/console", refresh: true, notice: Self.notice(request)),
            scope: scope.selected.map { "Tenant " + $0 } ?? "All tenants", now: ConsoleFormat.time(now),
            callbacks: chart,
            callbacksNote: "No callback in the last hour.",
            fulfillmentsSVG: SVGChart.horizontalBars(title: "Fulfillments by status", rows: statusRows),
            fulfillmentsTotal: statusRows.map(\.1).reduce(0, +), fulfillmentsHref: "/console/fulfillments" + suffix,
            hasExceptions: !exceptionRows.isEmpty,
            exceptionsSVG: SVGChart.horizontalBars(title: "Fulfillments in exception by carrier", rows: exceptionRows, cssClass: "fill-exception"),
            queue: [
                Figure(label: "Pending", value: String(data.pendingRetries), href: "/console/queue" + suffix),
                Figure(label: "Dead letters", value: String(data.deadLetters),
                       href: "/console/queue?status=exhausted" + (scope.selected.map { "&" + Self.tenantQuery($0) } ?? "")),
                Figure(label: "Mean attempts", value: waiting == 0 ? "–" : ConsoleFormat.decimal(Double(data.retryAttempts) / Double(waiting)), href: nil),
                Figure(label: "Oldest pending", value: data.oldestPendingAt.map { ConsoleFormat.age(from: $0, to: now) } ?? "–", href: nil),
            ],
            deliveries: DeliveryStatus.allCases.map { Figure(label: $0.rawValue, value: String(deliveries[$0.rawValue] ?? 0), href: nil) },
            endpoints: ["closed", "half_open", "open", "disabled"].map { state in
                Figure(label: state == "half_open" ? "half open" : state, value: String(states[state] ?? 0), href: "/console/endpoints" + suffix)
            })
        return ConsoleResponse.html(.ok, renderer.render(view, "overview"))
    }

    // MARK: Fulfillments

    func fulfillments(_ request: Request, _ session: ConsoleSession) async throws(GatewayError) -> Response {
        let scope = try scope(request, session)
        let query = request.uri.queryParameters
        let search = try ConsoleInput.search(query.get("q"))
        var found: [Fulfillment] = []
        var next: String?
        if let search {
            for tenant in scope.tenants where found.count < Self.listLimit {
                var seen = Set<String>()
                for filter in [FulfillmentFilter.trackingNumber(search), .orderId(search)] {
                    for fulfillment in try await store.fulfillments(tenant: tenant, where: filter) where seen.insert(fulfillment.id).inserted {
                        found.append(fulfillment)
                    }
                }
            }
            found = Array(found.prefix(Self.listLimit))
        } else {
            // Keyset pagination over (tenant, id): `after=tenant/id`.
            var cursor: (tenant: String, id: String)?
            if let after = query.get("after"), !after.isEmpty {
                let parts = after.split(separator: "/", maxSplits: 1).map(String.init)
                guard parts.count == 2, TenantDirectory.isSlug(parts[0]), ConsoleInput.isIdentifier(parts[1]) else { throw .badRequest("after must be tenant/id") }
                cursor = (parts[0], parts[1])
            }
            for tenant in scope.tenants where found.count <= Self.pageSize {
                if let cursor, tenant < cursor.tenant { continue }
                let after = cursor.flatMap { $0.tenant == tenant ? $0.id : nil }
                found += try await store.fulfillmentPage(tenant: tenant, after: after, limit: Self.pageSize + 1 - found.count)
            }
            if found.count > Self.pageSize {
                found = Array(found.prefix(Self.pageSize))
                if let last = found.last {
                    next = "/console/fulfillments?after=" + Self.query(last.tenant + "/" + last.id) + (scope.selected.map { "&" + Self.tenantQuery($0) } ?? "")
                }
            }
        }
        let rows = found.map { f in
            FulfillmentRow(id: f.id, href: "/console/fulfillments/" + Self.query(f.id) + "?" + Self.tenantQuery(f.tenant), tenant: f.tenant, orderId: f.orderId,
                           status: f.status.rawValue, statusClass: ConsoleFormat.statusClass(f.status.rawValue), carrier: ConsoleFormat.optional(f.carrier),
                           trackingNumber: ConsoleFormat.optional(f.trackingNumber), updatedAt: ConsoleFormat.time(f.updatedAt))
        }
        let view = FulfillmentsView(
            layout: layout("Fulfillments", session: session, section: "fulfillments", scope: scope, filterAction: "/console/fulfillments",
                           hidden: search.map { [HiddenField(name: "q", value: $0)] } ?? []),
            tenantValue: session.isOperator ? scope.selected : nil, query: search ?? "", searched: search != nil, count: rows.count,
            showTenant: session.isOperator, hasRows: !rows.isEmpty, rows: rows, nextHref: next)
        return ConsoleResponse.html(.ok, renderer.render(view, "fulfillments"))
    }

    func fulfillment(_ request: Request, _ session: ConsoleSession, id: String?) async throws(GatewayError) -> Response {
        let tenant = try singleTenant(session, requested: request.uri.queryParameters.get("tenant"))
        let id = try ConsoleInput.id(id, "id")
        guard let f = try await store.fulfillment(tenant: tenant, id: id) else { throw .notFound("Fulfillment '\(id)' not found") }
        let deliveries = try await store.deliveries(tenant: tenant, filter: DeliveryFilter(fulfillmentId: id), limit: Self.listLimit)
        let events = f.trackingEvents.map { e in
            TimelineRow(occurredAt: ConsoleFormat.time(e.occurredAt), status: e.status.rawValue, place: ConsoleFormat.place(e.location),
                        code: ConsoleFormat.optional(e.carrierStatusCode), description: e.description, outcome: e.applied ? "applied" : "refused",
                        outcomeClass: e.applied ? "ok" : "bad", fulfillmentStatus: e.fulfillmentStatus.rawValue)
        }
        let view = FulfillmentView(
            layout: layout("Fulfillment " + f.id, session: session, section: "fulfillments", scope: Scope(tenants: [tenant], selected: tenant)),
            tenant: tenant, orderId: f.orderId, status: f.status.rawValue, statusClass: ConsoleFormat.statusClass(f.status.rawValue),
            carrier: ConsoleFormat.optional(f.carrier), trackingNumber: ConsoleFormat.optional(f.trackingNumber),
            serviceLevel: ConsoleFormat.optional(f.serviceLevel), actualDelivery: ConsoleFormat.time(f.actualDelivery),
            hasEvents: !events.isEmpty, events: events, hasNotifications: !deliveries.isEmpty, notifications: deliveries.map { deliveryRow($0) })
        return ConsoleResponse.html(.ok, renderer.render(view, "fulfillment"))
    }

    func deliveryRow(_ d: DeliveryRecord) -> DeliveryRow {
        let tenant = "?" + Self.tenantQuery(d.tenant)
        let answer = d.lastStatusCode.map { "HTTP \($0)" } ?? ConsoleFormat.optional(d.lastError)
        return DeliveryRow(id: d.id, href: "/console/deliveries/" + Self.query(d.id) + tenant, eventType: d.eventType, endpointId: d.endpointId,
                           endpointHref: "/console/endpoints/" + Self.query(d.endpointId) + tenant, fulfillmentId: ConsoleFormat.optional(d.fulfillmentId),
                           status: d.status.rawValue, statusClass: ConsoleFormat.statusClass(d.status.rawValue), attempts: String(d.attempts),
                           lastAnswer: answer, createdAt: ConsoleFormat.time(d.createdAt))
    }

    // MARK: Inbound queue

    func queue(_ request: Request, _ session: ConsoleSession) async throws(GatewayError) -> Response {
        let scope = try scope(request, session)
        let name = request.uri.queryParameters.get("status") ?? "pending"
        guard let status = RetryStatus(rawValue: name) else { throw .badRequest("status must be pending, exhausted or succeeded") }
        // One read: the session's tenant, the operator's filter, or (operator, no filter) every tenant's, newest first.
        let entries = try await store.allRetryEntries(tenant: scope.selected, status: status, limit: Self.listLimit)
        let tenantSuffix = scope.selected.map { "&" + Self.tenantQuery($0) } ?? ""
        let tabs = [("pending", "Pending"), ("exhausted", "Dead letters"), ("succeeded", "Succeeded")].map { value, label in
            NavLink(label: label, href: "/console/queue?status=" + value + tenantSuffix, current: value == status.rawValue)
        }
        let rows = entries.map { e in
            RetryRow(id: e.id, tenant: e.tenant, selectValue: e.tenant + "/" + e.id,
                     href: "/console/queue/" + Self.query(e.id) + "?" + Self.tenantQuery(e.tenant), carrier: e.carrier, reason: e.reason.rawValue,
                     status: e.status.rawValue, statusClass: ConsoleFormat.statusClass(e.status.rawValue), attempts: String(e.attempts),
                     lastError: ConsoleFormat.optional(e.lastError), nextAttemptAt: e.status == .pending ? ConsoleFormat.time(e.nextAttemptAt) : "–")
        }
        let view = QueueView(
            layout: layout("Inbound queue", session: session, section: "queue", scope: scope, filterAction: "/console/queue",
                           hidden: [HiddenField(name: "status", value: status.rawValue)], refresh: true, notice: Self.notice(request)),
            tabs: tabs, status: status.rawValue, csrfToken: session.csrfToken, showTenant: session.isOperator, hasRows: !rows.isEmpty, rows: rows)
        return ConsoleResponse.html(.ok, renderer.render(view, "queue"))
    }

    func retryEntry(_ request: Request, _ session: ConsoleSession, id: String?) async throws(GatewayError) -> Response {
        let tenant = try singleTenant(session, requested: request.uri.queryParameters.get("tenant"))
        let id = try ConsoleInput.id(id, "id")
        guard let (e, attempts) = try await store.retryEntryWithAttempts(tenant: tenant, id: id) else { throw .notFound("Retry entry '\(id)' not found") }
        let attemptLog = attempts.map { a in
            RetryAttemptRow(attempt: String(a.attempt), at: ConsoleFormat.time(a.at), outcome: a.outcome, error: ConsoleFormat.optional(a.error))
        }
        let view = RetryView(
            layout: layout("Callback " + e.id, session: session, section: "queue", scope: Scope(tenants: [tenant], selected: tenant), notice: Self.notice(request)),
            tenant: tenant, carrier: e.carrier, reason: e.reason.rawValue, status: e.status.rawValue, statusClass: ConsoleFormat.statusClass(e.status.rawValue),
            attempts: String(e.attempts), nextAttemptAt: e.status == .pending ? ConsoleFormat.time(e.nextAttemptAt) : "–",
            createdAt: ConsoleFormat.time(e.createdAt), updatedAt: ConsoleFormat.time(e.updatedAt), lastError: e.lastError,
            replayable: e.status != .succeeded, csrfToken: session.csrfToken, selectValue: tenant + "/" + e.id,
            hasAttemptLog: !attemptLog.isEmpty, attemptLog: attemptLog, attemptLogNote: "No attempt yet.",
            backHref: "/console/queue?status=" + e.status.rawValue + (session.isOperator ? "&" + Self.tenantQuery(tenant) : ""))
        return ConsoleResponse.html(.ok, renderer.render(view, "retry"))
    }

    /// `entry=tenant/id` for each ticked row, or `only=tenant/id` from a row's own button.
    func replay(_ session: ConsoleSession, _ form: ConsoleForm) async throws(GatewayError) -> Response {
        let chosen = form.value("only").map { [$0] } ?? form.values("entry")
        guard !chosen.isEmpty else { throw .badRequest("Select at least one callback to replay") }
        guard chosen.count <= 500 else { throw .badRequest("At most 500 callbacks can be replayed at once") }
        var targets: [(tenant: String, id: String)] = []
        for value in chosen {
            let parts = value.split(separator: "/", maxSplits: 1).map(String.init)
            guard parts.count == 2 else { throw .badRequest("A selected callback is malformed") }
            targets.append((try singleTenant(session, requested: parts[0]), try ConsoleInput.id(parts[1], "id")))
        }
        var replayedCount = 0
        for target in targets {
            do {
                _ = try await store.replayRetry(tenant: target.tenant, id: target.id, now: clock.now())
                replayedCount += 1
            } catch {
                switch error {
                case .notFound, .conflict: continue
                default: throw error
                }
            }
        }
        if replayedCount > 0 { replayed() }
        let done = replayedCount == targets.count ? "replayed" : "replay-failed"
        if form.value("return_to") == "entry", let target = targets.first, targets.count == 1 {
            return ConsoleResponse.redirect("/console/queue/" + Self.query(target.id) + "?" + Self.tenantQuery(target.tenant) + "&done=\(done)&n=\(replayedCount)")
        }
        let status = form.value("return_status").flatMap(RetryStatus.init(rawValue:)) ?? .exhausted
        return ConsoleResponse.redirect("/console/queue?status=\(status.rawValue)&done=\(done)&n=\(replayedCount)")
    }

    // MARK: Endpoints and deliveries

    func endpoints(_ request: Request, _ session: ConsoleSession) async throws(GatewayError) -> Response {
        let scope = try scope(request, session)
        let now = clock.now()
        var rows: [EndpointRow] = []
        for tenant in scope.tenants {
            for endpoint in try await store.endpoints(tenant: tenant) {
                let activity = try await store.endpointActivity(tenant: tenant, endpointId: endpoint.id, since: now.adding(milliseconds: -86_400_000))
                let day = EndpointStatsJSON.window(activity.attempts)
                let waiting = [DeliveryStatus.pending, .failed, .held].map { activity.countsByStatus[$0] ?? 0 }.reduce(0, +)
                let state = endpoint.enabled ? endpoint.circuit.state : "disabled"
                rows.append(EndpointRow(
                    id: endpoint.id, href: "/console/endpoints/" + Self.query(endpoint.id) + "?" + Self.tenantQuery(tenant), tenant: tenant, url: endpoint.url,
                    state: state, stateClass: ConsoleFormat.statusClass(state), successRate: ConsoleFormat.percent(day.successRate),
                    latency: ConsoleFormat.milliseconds(day.p50) + " / " + ConsoleFormat.milliseconds(day.p90), attempts: String(day.attempts), waiting: String(waiting)))
            }
        }
        let view = EndpointsView(
            layout: layout("Endpoints and deliveries", session: session, section: "endpoints", scope: scope, filterAction: "/console/endpoints", refresh: true),
            showTenant: session.isOperator, hasRows: !rows.isEmpty, rows: rows)
        return ConsoleResponse.html(.ok, renderer.render(view, "endpoints"))
    }

    func endpoint(_ request: Request, _ session: ConsoleSession, id: String?) async throws(GatewayError) -> Response {
        let tenant = try singleTenant(session, requested: request.uri.queryParameters.get("tenant"))
        let id = try ConsoleInput.id(id, "id")
        guard let endpoint = try await store.endpoint(tenant: tenant, id: id) else { throw .notFound("Webhook endpoint '\(id)' not found") }
        let now = clock.now()
        let activity = try await store.endpointActivity(tenant: tenant, endpointId: id, since: now.adding(milliseconds: -86_400_000))
        let day = EndpointStatsJSON.window(activity.attempts)
        let hour = EndpointStatsJSON.window(activity.attempts.filter { $0.startedAt >= now.adding(milliseconds: -3_600_000) })
        let deliveries = try await store.deliveries(tenant: tenant, filter: DeliveryFilter(endpointId: id), limit: Self.pageSize)
        let state = endpoint.enabled ? endpoint.circuit.state : "disabled"
        let view = EndpointView(
            layout: layout("Endpoint " + endpoint.id, session: session, section: "endpoints", scope: Scope(tenants: [tenant], selected: tenant),
                           refresh: false, notice: Self.notice(request)),
            id: endpoint.id, tenant: tenant, url: endpoint.url, eventTypes: endpoint.eventTypes.isEmpty ? "all" : endpoint.eventTypes.joined(separator: ", "),
            state: state + (endpoint.disabledReason.map { " (\($0))" } ?? ""), stateClass: ConsoleFormat.statusClass(state),
            failures: String(endpoint.circuit.consecutiveFailures), hourSuccess: ConsoleFormat.percent(hour.successRate),
            daySuccess: ConsoleFormat.percent(day.successRate),
            latency: [day.p50, day.p90, day.p99].map(ConsoleFormat.milliseconds).joined(separator: " / "),
            enabled: endpoint.enabled, csrfToken: session.csrfToken, hasDeliveries: !deliveries.isEmpty, deliveries: deliveries.map { deliveryRow($0) })
        return ConsoleResponse.html(.ok, renderer.render(view, "endpoint"))
    }

    /// `enable`, `disable`, `test` (a ping now) or `recover` (`window` = `24h`, `7d` or `all`): the operations of
    /// `/v1/webhook-endpoints`.
    func endpointAction(_ session: ConsoleSession, _ form: ConsoleForm, id: String?, action: String?) async throws(GatewayError) -> Response {
        let tenant = try singleTenant(session, requested: form.value("tenant"))
        let id = try ConsoleInput.id(id, "id")
        let now = clock.now()
        let done: String
        var count = 0
        switch action {
        case "enable", "disable":
            let enable = action == "enable"
            let updated = try await store.updateEndpoint(tenant: tenant, id: id, now: now) { $0.enabled = enable }
            if updated.enabled { notifications.wake() }
            done = enable ? "enabled" : "disabled"
        case "test":
            _ = try await notifications.ping(tenant: tenant, endpointId: id)
            done = "tested"
        case "recover":
            let since: Timestamp
            switch form.value("window") ?? "24h" {
            case "24h": since = now.adding(milliseconds: -86_400_000)
            case "7d": since = now.adding(milliseconds: -7 * 86_400_000)
            case "all": since = Timestamp(milliseconds: 0)
            default: throw .badRequest("window must be 24h, 7d or all")
            }
            guard try await store.endpoint(tenant: tenant, id: id) != nil else { throw .notFound("Webhook endpoint '\(id)' not found") }
            count = try await store.recoverDeliveries(tenant: tenant, endpointId: id, since: since, until: Timestamp(milliseconds: .max), now: now)
            notifications.wake()
            done = "recovered"
        default:
            throw .notFound("No such endpoint action")
        }
        return ConsoleResponse.redirect("/console/endpoints/" + Self.query(id) + "?" + Self.tenantQuery(tenant) + "&done=\(done)&n=\(count)")
    }

    func delivery(_ request: Request, _ session: ConsoleSession, id: String?) async throws(GatewayError) -> Response {
        let tenant = try singleTenant(session, requested: request.uri.queryParameters.get("tenant"))
        let id = try ConsoleInput.id(id, "id")
        guard let d = try await store.delivery(tenant: tenant, id: id) else { throw .notFound("Delivery '\(id)' not found") }
        let attempts = d.attemptLog.map { a in
            AttemptRow(attempt: String(a.attempt), trigger: a.trigger, startedAt: ConsoleFormat.time(a.startedAt),
                       statusCode: a.statusCode.map(String.init) ?? "no answer",
                       statusClass: a.statusCode.map { (200..<300).contains($0) ? "ok" : "bad" } ?? "bad",
                       duration: "\(a.durationMilliseconds) ms", excerpt: a.responseExcerpt ?? "", error: ConsoleFormat.optional(a.error))
        }
        let tenantQuery = "?" + Self.tenantQuery(tenant)
        let view = DeliveryView(
            layout: layout("Delivery " + d.id, session: session, section: "endpoints", scope: Scope(tenants: [tenant], selected: tenant), notice: Self.notice(request)),
            id: d.id, tenant: tenant, eventType: d.eventType, eventId: d.eventId, endpointId: d.endpointId,
            endpointHref: "/console/endpoints/" + Self.query(d.endpointId) + tenantQuery, fulfillmentId: ConsoleFormat.optional(d.fulfillmentId),
            status: d.status.rawValue, statusClass: ConsoleFormat.statusClass(d.status.rawValue),
            nextAttemptAt: [.pending, .failed].contains(d.status) ? ConsoleFormat.time(d.nextAttemptAt) : "–",
            retryable: d.status != .held, csrfToken: session.csrfToken, hasAttempts: !attempts.isEmpty, attempts: attempts)
        return ConsoleResponse.html(.ok, renderer.render(view, "delivery"))
    }

    func retryDelivery(_ session: ConsoleSession, _ form: ConsoleForm, id: String?) async throws(GatewayError) -> Response {
        let tenant = try singleTenant(session, requested: form.value("tenant"))
        let id = try ConsoleInput.id(id, "id")
        _ = try await notifications.sendNow(tenant: tenant, id: id)
        return ConsoleResponse.redirect("/console/deliveries/" + Self.query(id) + "?" + Self.tenantQuery(tenant) + "&done=retried")
    }

    // MARK: Tenants

    func tenants(_ request: Request, _ session: ConsoleSession) async throws(GatewayError) -> Response {
        guard session.isOperator else { throw .notFound("Not found") }
        let snapshot = try await store.directory()
        let tenants = snapshot.tenants.sorted { $0.slug < $1.slug }.map { tenant in
            let sources = snapshot.sources.filter { $0.tenant == tenant.slug }.sorted { $0.carrier < $1.carrier }.map { source in
                SourceRow(carrier: source.carrier, scheme: source.scheme ?? "carrier default", header: ConsoleFormat.optional(source.header),
                          tolerance: source.toleranceSeconds.map { "\($0) s" } ?? "default",
                          secretIds: source.secrets.map(\.id).joined(separator: ", "))
            }
            let keys = snapshot.apiKeys.filter { $0.tenant == tenant.slug }.map { key in
                KeyRow(id: key.id, label: key.label ?? "", createdAt: ConsoleFormat.time(key.createdAt))
            }
            let rate = tenant.ratePerSecond.map { perSecond in
                "\(perSecond)/s" + (tenant.rateBurst.map { ", burst \($0)" } ?? "")
            } ?? "none"
            return TenantView(slug: tenant.slug, rateLimit: rate, retryPolicy: tenant.retryPolicyJSON ?? "the default policy",
                              hasSources: !sources.isEmpty, sources: sources, hasKeys: !keys.isEmpty, keys: keys)
        }
        let view = TenantsView(layout: layout("Tenants", session: session, section: "tenants"), tenants: tenants)
        return ConsoleResponse.html(.ok, renderer.render(view, "tenants"))
    }
}
