import ParcelGateCore

/// When a 17TRACK event happened. An event gives its time up to three ways, and not always all of them:
/// `time_iso` (local time with its offset), `time_utc`, and `time_raw` `{date, time, timezone}` split into
/// fields. The first that fixes an instant wins; a local time without any offset is local to the event's
/// location (CARRIERS.md "Times": the location's zone, else the source's zone, else UTC).
enum SeventeenTrackTime {
    static func instant(_ entry: JSONObject, location: TrackingLocation?, context: NormalisationContext) throws(GatewayError) -> Timestamp {
        let field = entry.fieldPath("time_iso")
        let iso = try entry.dateTime("time_iso")
        if let instant = iso?.instant { return try context.eventTime(instant, field: field) }
        // 17TRACK documents `time_utc` as UTC, so one written without an offset is still read as UTC.
        if let utc = try entry.dateTime("time_utc") {
            return try context.eventTime(utc.instant ?? utc.civil.timestamp(offsetSeconds: 0), field: entry.fieldPath("time_utc"))
        }
        let raw = try split(entry)
        if let instant = raw?.instant { return try context.eventTime(instant, field: entry.fieldPath("time_raw")) }
        guard let naive = iso ?? raw else { throw .invalidPayload("\(field) is required (or time_utc, or time_raw.date and time_raw.time)") }
        return try context.eventTime(TimeZoneResolver.instant(naive, location: location, defaultZone: context.defaultTimeZone), field: field)
    }

    /// `time_raw` read as one ISO 8601 text, `<date>T<time><timezone>`; `nil` when its date or time is missing.
    /// The fields are joined as text and parsed by the one ISO 8601 parser, so they are validated as any
    /// other carrier time is.
    static func split(_ entry: JSONObject) throws(GatewayError) -> ParsedDateTime? {
        guard let raw = try entry.object("time_raw"), let date = try raw.text("date"), let time = try raw.text("time") else { return nil }
        let zone = try raw.text("timezone") ?? ""
        guard let parsed = ISO8601Parser.parse(date + "T" + time + zone) else {
            throw .invalidPayload("\(raw.fieldPath("date")), time and timezone must form an ISO 8601 date-time")
        }
        return parsed
    }
}
