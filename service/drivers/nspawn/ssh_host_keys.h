// A machine's OpenSSH identity: host keys of its own, made for each machine
// before its first boot (never the base image's, a template's or a clone
// source's), and whether its SSH server starts at boot.
#pragma once

#include <optional>
#include <string>
#include <string_view>
#include <vector>

#include "core/error.h"
#include "core/secret.h"
#include "drivers/nspawn/rootfs_files.h"

namespace zenith::drivers::nspawn {

struct HostKey {
    std::string type;        // ed25519 | ecdsa (ssh-keygen -t)
    core::Secret privateKey;  // OpenSSH format: wiped when the key goes
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

// "ssh-ed25519 SHA256:...": the key's type and its SHA-256 fingerprint as
// `ssh-keygen -l` prints it (the unpadded base64 of the SHA-256 of the key
// blob), of a public key line; InvalidArgs for a line that is not one.
core::Result<std::string> hostKeyFingerprint(std::string_view publicKeyLine);

// Puts `keys` into the tree as /etc/ssh/ssh_host_<type>_key{,.pub} (0600 and
// 0644, owned by the tree's root) after removing every host key file
// OpenSSH knows, so no key of the tree's past survives.
core::Result<void> installHostKeys(const std::string& rootfs, const std::vector<HostKey>& keys, FileOwner owner);
// Removes every host key file OpenSSH knows (a base image keeps none).
core::Result<void> removeHostKeys(const std::string& rootfs);

// Whether the tree has an OpenSSH server (/usr/sbin/sshd).
bool hasSshServer(const std::string& rootfs);
// Switches the SSH server on or off at boot. Off: /etc/ssh/sshd_not_to_be_run,
// which Debian's and Ubuntu's ssh.service, ssh.socket (Ubuntu 22.10 and
// later listen through it) and ssh@.service all refuse to start with. On:
// that file removed, and ssh.service enabled unless the tree starts the
// server through ssh.socket. Files and directories made get `owner` (the
// tree's root; host root when nullopt).
core::Result<void> setSshServerEnabled(const std::string& rootfs, bool enabled,
                                       std::optional<FileOwner> owner = std::nullopt);
// The host's ssh-keygen (BackendUnavailable naming openssh-client when
// there is none): checked before a machine is made, not half-way.
core::Result<void> checkSshKeygen();

}  // namespace zenith::drivers::nspawn
