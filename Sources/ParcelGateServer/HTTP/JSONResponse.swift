import Foundation
import Hummingbird
import NIOCore

/// JSON responses, all produced through one encoder configuration (snake_case keys come from each DTO's CodingKeys).
enum JSONResponse {
    static let encoder: JSONEncoder = {
        let encoder = JSONEncoder()
        encoder.outputFormatting = [.sortedKeys, .withoutEscapingSlashes]
        return encoder
    }()

    static func make(_ status: HTTPResponse.Status, _ value: some Encodable, headers: HTTPFields = [:]) -> Response {
        let data = (try? encoder.encode(value)) ?? Data(#"{"code":"internal_error","detail":"Response could not be encoded"}"#.utf8)
        return make(status, body: ByteBuffer(bytes: data), headers: headers)
    }

    /// A body already written as JSON text (the hook's replies, built without an encoder on the hot path).
    static func make(_ status: HTTPResponse.Status, json: String) -> Response {
        make(status, body: ByteBuffer(string: json), headers: [:])
    }

    private static func make(_ status: HTTPResponse.Status, body: ByteBuffer, headers: HTTPFields) -> Response {
        var fields = headers
        fields[.contentType] = "application/json; charset=utf-8"
        return Response(status: status, headers: fields, body: ResponseBody(byteBuffer: body))
    }
}

/// The body of every 4xx and 5xx: `{"code", "detail", "request_id"}`.
struct ErrorBody: Encodable {
    let code: String
    let detail: String
    let requestId: String

    enum CodingKeys: String, CodingKey {
        case code, detail
        case requestId = "request_id"
    }
}
