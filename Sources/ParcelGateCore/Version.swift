/// The release this build is, named in one place: the `user-agent` of platform notifications
/// (`ParcelGate/<version>`, issue 15) and `parcelgate --version`. `openapi.yaml`'s `info.version` names the
/// same release; change both together.
package enum ParcelGateVersion {
    package static let current = "1.0.0"
}
