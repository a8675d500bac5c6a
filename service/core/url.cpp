#include "core/url.h"

namespace zenith::core {

bool urlHasCredentials(std::string_view url)
{
    auto scheme = url.find("://");
    if (scheme == std::string_view::npos)
        return false;
    auto authority = url.substr(scheme + 3);
    authority = authority.substr(0, authority.find_first_of("/?#"));
    return authority.find('@') != std::string_view::npos;
}

}  // namespace zenith::core
