// Recognises one authorized_keys line, so that a typo or a pasted private key
// is refused at the bus instead of silently locking the user out.
#pragma once

#include <string_view>

namespace zenith::core {

// "[options] TYPE BASE64 [comment]" where TYPE is a known OpenSSH public key
// type and BASE64 decodes to a key blob that names the same TYPE.
bool looksLikeSshPublicKey(std::string_view line);

}  // namespace zenith::core
