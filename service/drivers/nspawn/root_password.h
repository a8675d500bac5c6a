// The root password of a new machine: hashed with libcrypt (yescrypt) the
// moment it arrives, and only the hash is written, into /etc/shadow.
#pragma once

#include <string>
#include <string_view>

#include "core/error.h"
#include "core/secret.h"

namespace zenith::drivers::nspawn {

// "$y$..." from a fresh random salt.
core::Result<std::string> hashPassword(const core::Secret& password);

// A crypt(3) string we are willing to put into /etc/shadow: "$id$..." with
// no ':' or newline (which would inject fields or lines). InvalidArgs
// naming password_hash otherwise.
core::Result<void> checkPasswordHash(std::string_view hash);

// `shadow` with the password field of `user`'s line set to `hash`; every
// other line and field is kept byte for byte. BackendFailed when the user
// has no line.
core::Result<std::string> replaceShadowPassword(std::string_view shadow, std::string_view user, std::string_view hash);

}  // namespace zenith::drivers::nspawn
