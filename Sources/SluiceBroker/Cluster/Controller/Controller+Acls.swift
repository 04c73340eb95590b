import KafkaProtocol
import SluiceSecurity

/// CreateAcls and DeleteAcls on the active controller, as Kafka's `AclControlManager`: each new
/// ACL is validated (`validateNewAcl`: INVALID_REQUEST with Kafka's message), gets a random id and
/// an `AccessControlEntry` record; an ACL that exists already (or twice in one request) succeeds
/// without a record. A delete filter removes every ACL it matches (`RemoveAccessControlEntry` by
/// id) and lists them; an ACL matched by several filters is listed under each and removed once.
/// The records of one request commit as one batch, so every broker sees all of them or none.
extension Controller {
    func createAcls(_ bindings: [AclBinding], driver: RaftDriver, done: @escaping ([ApiError?]) -> Void) {
        var errors: [ApiError?] = []
        var records: [MetadataRecord] = []
        var existing = Set(image.aclsById.values)
        for binding in bindings {
            if let reason = binding.invalidReason {
                errors.append(ApiError(.invalidRequest, reason))
                continue
            }
            errors.append(nil)
            guard existing.insert(binding).inserted else { continue }
            records.append(.accessControlEntry(id: newAclId(), binding: binding))
        }
        commit(records, driver: driver, name: "CreateAcls") { error in
            done(errors.map { $0 ?? error })
        }
    }

    func deleteAcls(_ filters: [AclBindingFilter], driver: RaftDriver,
                    done: @escaping ([Result<[AclBinding], ApiError>]) -> Void) {
        var results: [Result<[AclBinding], ApiError>] = []
        var removed: Set<KafkaUUID> = []
        var records: [MetadataRecord] = []
        let acls = image.aclsById.sorted { $0.value < $1.value }
        for filter in filters {
            if let reason = filter.invalidReason {
                results.append(.failure(ApiError(.invalidRequest, reason)))
                continue
            }
            var matched: [AclBinding] = []
            for (id, binding) in acls where filter.matches(binding) {
                matched.append(binding)
                if removed.insert(id).inserted { records.append(.removeAccessControlEntry(id: id)) }
            }
            results.append(.success(matched))
        }
        commit(records, driver: driver, name: "DeleteAcls") { error in
            done(results.map { result in
                guard let error, case .success = result else { return result }
                return .failure(error)
            })
        }
    }

    /// A random id no ACL has (Kafka draws random UUIDs too, skipping the reserved zero id).
    private func newAclId() -> KafkaUUID {
        while true {
            let id = KafkaUUID.random()
            if id != .zero && image.aclsById[id] == nil { return id }
        }
    }
}
