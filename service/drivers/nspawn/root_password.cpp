#include "drivers/nspawn/root_password.h"

#include <crypt.h>
#include <strings.h>

#include <cctype>
#include <cerrno>
#include <cstdlib>
#include <cstring>
#include <memory>

namespace zenith::drivers::nspawn {

core::Result<std::string> hashPassword(const core::Secret& password)
{
    std::unique_ptr<char, decltype(&std::free)> salt(crypt_gensalt_ra("$y$", 0, nullptr, 0), &std::free);
    if (!salt)
        return core::fail(core::ErrorCode::BackendFailed,
                          std::string("cannot make a password salt: ") + std::strerror(errno));
    void* data = nullptr;
    int size = 0;
    char* hashed = crypt_ra(password.reveal().c_str(), salt.get(), &data, &size);
    std::string out = (hashed && hashed[0] != '*') ? std::string(hashed) : std::string();
    if (data) {
        // crypt's scratch area holds the password and intermediate state.
        explicit_bzero(data, static_cast<size_t>(size));
        std::free(data);
    }
    if (out.empty())
        return core::fail(core::ErrorCode::BackendFailed, "cannot hash the password (libcrypt failed)");
    return out;
}

core::Result<void> checkPasswordHash(std::string_view hash)
{
    bool ok = hash.size() >= 4 && hash.front() == '$' && hash.size() < 512;
    for (char c : hash)
        if (!(std::isalnum(static_cast<unsigned char>(c)) || std::strchr("$./=,-+", c)))
            ok = false;
    if (!ok)
        return core::fail(core::ErrorCode::InvalidArgs,
                          "password_hash: expected a crypt(3) string such as \"$y$...\" or \"$6$...\"");
    return {};
}

core::Result<std::string> replaceShadowPassword(std::string_view shadow, std::string_view user, std::string_view hash)
{
    std::string out;
    out.reserve(shadow.size() + hash.size());
    bool found = false;
    size_t pos = 0;
    while (pos < shadow.size()) {
        size_t nl = shadow.find('\n', pos);
        size_t end = nl == std::string_view::npos ? shadow.size() : nl;
        std::string_view line = shadow.substr(pos, end - pos);
        size_t c1 = line.find(':');
        if (!found && c1 != std::string_view::npos && line.substr(0, c1) == user) {
            size_t c2 = line.find(':', c1 + 1);
            out.append(line.substr(0, c1 + 1));
            out.append(hash);
            if (c2 != std::string_view::npos)
                out.append(line.substr(c2));
            found = true;
        } else {
            out.append(line);
        }
        if (nl != std::string_view::npos)
            out.push_back('\n');
        pos = end + 1;
    }
    if (!found)
        return core::fail(core::ErrorCode::BackendFailed, "no line for " + std::string(user) + " in /etc/shadow");
    return out;
}

}  // namespace zenith::drivers::nspawn
