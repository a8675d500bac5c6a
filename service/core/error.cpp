#include "core/error.h"

namespace zenith::core {

std::string_view errorCodeName(ErrorCode code)
{
    switch (code) {
    case ErrorCode::NoSuchMachine: return "NoSuchMachine";
    case ErrorCode::MachineExists: return "MachineExists";
    case ErrorCode::NoSuchJob: return "NoSuchJob";
    case ErrorCode::NoSuchImage: return "NoSuchImage";
    case ErrorCode::Busy: return "Busy";
    case ErrorCode::NotCancelable: return "NotCancelable";
    case ErrorCode::Cancelled: return "Cancelled";
    case ErrorCode::AddressExhausted: return "AddressExhausted";
    case ErrorCode::BackendUnavailable: return "BackendUnavailable";
    case ErrorCode::BackendFailed: return "BackendFailed";
    case ErrorCode::InvalidArgs: return "InvalidArgs";
    case ErrorCode::AccessDenied: return "AccessDenied";
    case ErrorCode::InteractiveAuthorizationRequired: return "InteractiveAuthorizationRequired";
    case ErrorCode::LimitsExceeded: return "LimitsExceeded";
    case ErrorCode::NotSupported: return "NotSupported";
    }
    return "BackendFailed";
}

}  // namespace zenith::core
