// A machine's OpenSSH identity: host keys of its own, made for each machine
// before its first boot (never the base image's, a template's or a clone
// source's), and whether its SSH server starts at boot.
#pragma once

#include <optional>
#include <string>
#include <string_view>
#include <vector>

#include "core/error.h"
#include "drivers/nspawn/rootfs_files.h"

namespace zenith::drivers::nspawn {

struct HostKey {
    std::string type;        // ed25519 | ecdsa (ssh-keygen -t)
    std::string privateKey;  // OpenSSH format: a secret, never logged
    std::string publicKey;   // one line: "ssh-ed25519 AAAA... root@NAME"
};

// The key types each machine gets. No RSA: ssh-keygen takes a second or
// more for one, and every OpenSSH since 6.5 (2014) speaks Ed25519.
inline constexpr std::string_view kHostKeyTypes[] = {"ed25519", "ecdsa"};

// New host keys made with the host's ssh-keygen (argv, no shell) in a
// private directory below `workDir`, removed before this returns.
core::Result<std::vector<HostKey>> generateHostKeys(const std::string& workDir, const std::string& hostname);

// Removes what generateHostKeys left in `workDir` when the daemon died
// while it ran (private keys: they must not stay).
void removeStaleHostKeyDirs(const std::string& workDir);

// "ssh-ed25519 SHA256:..." (what `ssh-keygen -l` shows: the key's type and
// the unpadded base64 of the SHA-256 of its blob) of a public key line;
// InvalidArgs for a line that is not one.
core::Result<std::string> hostKeyFingerprint(std::string_view publicKeyLine);

// Puts `keys` into the tree as /etc/ssh/ssh_host_<type>_key{,.pub} (0600 and
// 0644, owned by the tree's root) after removing every host key file
// OpenSSH knows, so no key of the tree's past survives.
core::Result<void> installHostKeys(const std::string& rootfs, const std::vector<HostKey>& keys, FileOwner owner);
// Removes every host key file OpenSSH knows (a base image keeps none).
core::Result<void> removeHostKeys(const std::string& rootfs);

// Whether the tree has an OpenSSH server (/usr/sbin/sshd).
bool hasSshServer(const std::string& rootfs);
// Enables or disables ssh.service at boot (its multi-user.target.wants link).
// Directories made get `owner` (the tree's root; host root when nullopt).
core::Result<void> setSshServerEnabled(const std::string& rootfs, bool enabled,
                                       std::optional<FileOwner> owner = std::nullopt);

}  // namespace zenith::drivers::nspawn
