#include "drivers/proxmox/client/api_reply.h"

#include <fmt/format.h>
#include <nlohmann/json.hpp>

#include "core/text_quote.h"

namespace zenith::drivers::proxmox {

namespace {

using core::ErrorCode;
using json = nlohmann::json;

bool contains(std::string_view text, std::string_view what) { return text.find(what) != std::string_view::npos; }

// The body's "message" when the server sent one, else the status line.
std::string serverText(const ApiReply& reply, const json& body)
{
    if (body.is_object()) {
        auto m = body.find("message");
        if (m != body.end() && m->is_string() && !m->get_ref<const std::string&>().empty())
            return m->get<std::string>();
    }
    return reply.statusText;
}

std::string shown(std::string_view text) { return core::toSingleLine(text, kMaxServerTextBytes); }

// 400: "Parameter verification failed." with {"errors":{"net0":"invalid
// format - ..."}}. Every field is named, in the order the server sent them
// (json keeps keys sorted, which is stable).
ApiFailure parameterErrors(const json& body, std::string_view text, std::string_view request)
{
    std::string fields;
    if (body.is_object()) {
        auto errors = body.find("errors");
        if (errors != body.end() && errors->is_object()) {
            size_t shownFields = 0;
            for (auto it = errors->begin(); it != errors->end(); ++it) {
                if (shownFields == 8) {
                    fields += fmt::format("; and {} more", errors->size() - shownFields);
                    break;
                }
                std::string why = it.value().is_string() ? it.value().get<std::string>() : it.value().dump();
                fields += fmt::format("{}{}: {}", shownFields ? "; " : "", core::quoteForMessage(it.key(), 40),
                                      shown(why));
                ++shownFields;
            }
        }
    }
    // A task polled right after it was started (or on a node other than
    // its own) does not exist there yet: the server says so in the `upid`
    // field, under the generic "Parameter verification failed.".
    const bool noSuchTask = contains(text, "no such task") || contains(fields, "no such task");
    std::string message = fields.empty() ? fmt::format("Proxmox refused {}: {}", request, shown(text))
                                         : fmt::format("Proxmox refused {}: {}", request, fields);
    return {{noSuchTask ? ErrorCode::BackendFailed : ErrorCode::InvalidArgs, std::move(message)}, noSuchTask};
}

// 500 and other 5xx: what the text says decides the error.
ApiFailure serverError(long status, std::string_view text, std::string_view request)
{
    const std::string t = shown(text);
    auto failure = [&](ErrorCode code, bool transient) {
        return ApiFailure{{code, fmt::format("{} failed on Proxmox ({}): {}", request, status, t)}, transient};
    };
    if (contains(text, "got timeout"))  // can't lock file ... - got timeout
        return failure(ErrorCode::Busy, true);
    if (contains(text, "already exists"))
        return failure(ErrorCode::MachineExists, false);
    if (contains(text, "is locked") || contains(text, "already running") || contains(text, "is running"))
        return failure(ErrorCode::Busy, false);
    // The guest is not on the node asked (or not anywhere): its config file
    // is per node.
    if (contains(text, "does not exist") && contains(text, "Configuration file"))
        return failure(ErrorCode::NoSuchMachine, false);
    if (status == 502 || status == 503 || status == 504)
        return failure(ErrorCode::BackendUnavailable, true);
    return failure(ErrorCode::BackendFailed, false);
}

}  // namespace

std::optional<ApiFailure> classifyReply(const ApiReply& reply, std::string_view request)
{
    if (reply.status >= 200 && reply.status < 300)
        return std::nullopt;
    // A body that is not JSON (a proxy's HTML page) still has a status line.
    const json body = json::parse(reply.body, nullptr, false);
    const std::string text = serverText(reply, body);
    switch (reply.status) {
    case 400:
        return parameterErrors(body, text, request);
    case 401:
        return ApiFailure{{ErrorCode::BackendUnavailable,
                           fmt::format("Proxmox refused the API token (401 {}) for {}", shown(text), request)},
                          false};
    case 403:
        return ApiFailure{{ErrorCode::BackendFailed,
                           fmt::format("the API token may not do {}: {}", request, shown(text))},
                          false};
    case 595:
        // pveproxy could not reach the node the call is for.
        return ApiFailure{{ErrorCode::BackendUnavailable,
                           fmt::format("{}: the node is offline or unreachable (595 {})", request, shown(text))},
                          false};
    default:
        break;
    }
    if (reply.status >= 500)
        return serverError(reply.status, text, request);
    return ApiFailure{{ErrorCode::BackendFailed,
                       fmt::format("{} failed on Proxmox ({}): {}", request, reply.status, shown(text))},
                      false};
}

}  // namespace zenith::drivers::proxmox
