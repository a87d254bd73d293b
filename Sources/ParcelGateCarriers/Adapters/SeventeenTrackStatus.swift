import ParcelGateCore

/// 17TRACK's status vocabulary mapped to ours (CARRIERS.md, "17TRACK"). A sub-status (`Exception_Returning`)
/// names its main status before the underscore; the main statuses are NotFound, InfoReceived, InTransit,
/// Expired, AvailableForPickup, OutForDelivery, DeliveryFailure, Delivered and Exception.
enum SeventeenTrackStatus {
    /// The most specific field first (CARRIERS.md: substatus before status): a sub-status with a meaning of
    /// its own, else the main status its prefix names, else the event's stage (a milestone such as
    /// `PickedUp`, for events without a sub-status), else the named main status. Unmapped is `unknown`,
    /// with the raw code kept by the caller.
    static func status(subStatus: String?, stage: String?, status: String?) -> TrackingStatus {
        if let subStatus {
            if let mapped = subStatuses[subStatus.lowercased()] { return mapped }
            let family = subStatus.prefix { $0 != "_" }.lowercased()
            if let mapped = statuses[family] { return mapped }
        }
        if let stage, let mapped = stages[stage.lowercased()] { return mapped }
        if let status, let mapped = statuses[status.lowercased()] { return mapped }
        return .unknown
    }

    /// Main statuses. `Expired` (no news for a long time) and `NotFound` say nothing about the parcel.
    static let statuses: [String: TrackingStatus] = [
        "notfound": .unknown, "inforeceived": .pending, "intransit": .inTransit, "expired": .unknown,
        "availableforpickup": .readyForPickup, "outfordelivery": .outForDelivery,
        "deliveryfailure": .deliveryFailed, "delivered": .delivered, "exception": .onHold,
    ]

    /// Sub-statuses whose meaning differs from their main status's (`*_Other` falls through to the stage
    /// and main status). An exception may be a return, a delay or a cancellation; a pickup is more than transit.
    static let subStatuses: [String: TrackingStatus] = [
        "intransit_pickedup": .pickedUp,
        "intransit_customsrequiringinformation": .onHold,
        "exception_returning": .returnToSender, "exception_returned": .returnToSender,
        "exception_delayed": .deliveryDelayed,
        "exception_cancel": .cancelled,
    ]

    /// Event stages (17TRACK's milestones).
    static let stages: [String: TrackingStatus] = [
        "inforeceived": .pending, "pickedup": .pickedUp, "departure": .inTransit, "arrival": .inTransit,
        "availableforpickup": .readyForPickup, "outfordelivery": .outForDelivery, "delivered": .delivered,
        "returning": .returnToSender, "returned": .returnToSender,
    ]
}
