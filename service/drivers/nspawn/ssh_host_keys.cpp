#include "drivers/nspawn/ssh_host_keys.h"

#include <fcntl.h>
#include <openssl/evp.h>
#include <stdlib.h>
#include <unistd.h>

#include <cerrno>
#include <cstring>

#include <filesystem>

#include <fmt/format.h>

#include "drivers/process.h"
#include "drivers/unique_fd.h"

namespace zenith::drivers::nspawn {

namespace fs = std::filesystem;
using core::ErrorCode;

namespace {

constexpr std::string_view kWorkDirPrefix = ".hostkeys-";
constexpr std::string_view kSshWants = "etc/systemd/system/multi-user.target.wants/ssh.service";
constexpr std::string_view kSocketWants = "etc/systemd/system/sockets.target.wants/ssh.socket";
constexpr std::string_view kNotToBeRun = "etc/ssh/sshd_not_to_be_run";

// Read straight into a Secret: no stream buffer keeps a copy.
std::optional<core::Secret> readKeyFile(const std::string& path)
{
    UniqueFd fd(::open(path.c_str(), O_RDONLY | O_CLOEXEC));
    if (!fd)
        return std::nullopt;
    std::string data(16384, '\0');
    size_t used = 0;
    for (ssize_t n; (n = ::read(fd.get(), data.data() + used, data.size() - used)) > 0;)
        used += static_cast<size_t>(n);
    data.resize(used);
    core::Secret out(std::move(data));
    if (out.empty())
        return std::nullopt;
    return out;
}

std::optional<std::string> base64Decode(std::string_view text)
{
    if (text.empty() || text.size() % 4 != 0)
        return std::nullopt;
    std::string out(text.size() / 4 * 3, '\0');
    const int n = EVP_DecodeBlock(reinterpret_cast<unsigned char*>(out.data()),
                                  reinterpret_cast<const unsigned char*>(text.data()), static_cast<int>(text.size()));
    if (n < 0)
        return std::nullopt;
    // EVP_DecodeBlock counts the bytes '=' padding stands for.
    size_t pad = text.ends_with("==") ? 2 : text.ends_with('=') ? 1 : 0;
    out.resize(static_cast<size_t>(n) - pad);
    return out;
}

std::string base64Unpadded(const unsigned char* data, size_t size)
{
    std::string out(4 * ((size + 2) / 3) + 1, '\0');
    const int n = EVP_EncodeBlock(reinterpret_cast<unsigned char*>(out.data()), data, static_cast<int>(size));
    out.resize(static_cast<size_t>(n));
    while (!out.empty() && out.back() == '=')
        out.pop_back();
    return out;
}

}  // namespace

core::Result<std::vector<HostKey>> generateHostKeys(const std::string& workDir, const std::string& hostname)
{
    std::error_code ec;
    fs::create_directories(workDir, ec);
    std::string tmpl = (fs::path(workDir) / (std::string(kWorkDirPrefix) + "XXXXXX")).string();
    // mkdtemp: mode 0700, only root reads the private keys while they exist.
    if (!::mkdtemp(tmpl.data()))
        return core::fail(ErrorCode::BackendFailed,
                          fmt::format("cannot make a directory for SSH host keys in {}: {}", workDir,
                                      std::strerror(errno)));
    struct Remove {
        std::string dir;
        ~Remove()
        {
            std::error_code ec;
            fs::remove_all(dir, ec);
        }
    } remove{tmpl};

    std::vector<HostKey> keys;
    for (auto type : kHostKeyTypes) {
        const std::string file = (fs::path(tmpl) / fmt::format("ssh_host_{}_key", type)).string();
        RunOptions ro;
        // The passphrase is empty (host keys have none): nothing secret in argv.
        ro.argv = {"ssh-keygen", "-q", "-t", std::string(type), "-N", "", "-C", "root@" + hostname, "-f", file};
        std::string err;
        ro.onStderr = [&](std::string_view l) { err.append(l).append(" "); };
        auto st = runProcess(ro);
        if (!st)
            return std::unexpected(st.error());
        if (!st->success())
            return core::fail(ErrorCode::BackendFailed,
                              fmt::format("ssh-keygen -t {} failed ({}): {}", type, st->describe(), err));
        auto priv = readKeyFile(file);
        auto pub = readKeyFile(file + ".pub");
        if (!priv || !pub)
            return core::fail(ErrorCode::BackendFailed, fmt::format("ssh-keygen -t {} wrote no key", type));
        keys.push_back({std::string(type), std::move(*priv), pub->reveal()});
    }
    return keys;
}

void removeStaleHostKeyDirs(const std::string& workDir)
{
    std::error_code ec;
    for (fs::directory_iterator it(workDir, ec), end; !ec && it != end; it.increment(ec))
        if (it->path().filename().string().starts_with(kWorkDirPrefix)) {
            std::error_code rec;
            fs::remove_all(it->path(), rec);
        }
}

core::Result<std::string> hostKeyFingerprint(std::string_view line)
{
    auto bad = [] { return core::fail(ErrorCode::InvalidArgs, "not an OpenSSH public key line"); };
    const auto space = line.find(' ');
    if (space == std::string_view::npos || space == 0)
        return bad();
    const std::string_view type = line.substr(0, space);
    std::string_view rest = line.substr(space + 1);
    const std::string_view b64 = rest.substr(0, rest.find_first_of(" \n"));
    auto blob = base64Decode(b64);
    // The blob starts with its own type as an SSH string (length, bytes).
    if (!blob || blob->size() < 4 + type.size())
        return bad();
    const auto* b = reinterpret_cast<const unsigned char*>(blob->data());
    const size_t len = (size_t{b[0]} << 24) | (size_t{b[1]} << 16) | (size_t{b[2]} << 8) | b[3];
    if (len != type.size() || blob->compare(4, len, type) != 0)
        return bad();
    unsigned char digest[EVP_MAX_MD_SIZE];
    unsigned int digestLen = 0;
    if (EVP_Digest(blob->data(), blob->size(), digest, &digestLen, EVP_sha256(), nullptr) != 1)
        return core::fail(ErrorCode::BackendFailed, "SHA-256 failed");
    return fmt::format("{} SHA256:{}", type, base64Unpadded(digest, digestLen));
}

core::Result<void> removeHostKeys(const std::string& rootfs)
{
    for (auto type : {"rsa", "dsa", "ecdsa", "ed25519", "ecdsa_sk", "ed25519_sk"})
        for (auto suffix : {"", ".pub", "-cert.pub"})
            if (auto r = removeFileInRoot(rootfs, fmt::format("etc/ssh/ssh_host_{}_key{}", type, suffix)); !r)
                return r;
    return {};
}

core::Result<void> installHostKeys(const std::string& rootfs, const std::vector<HostKey>& keys, FileOwner owner)
{
    if (auto r = removeHostKeys(rootfs); !r)
        return r;
    if (auto r = makeDirsInRoot(rootfs, "etc/ssh", 0755, owner); !r)
        return r;
    for (const auto& k : keys) {
        const std::string rel = fmt::format("etc/ssh/ssh_host_{}_key", k.type);
        if (auto r = writeFileInRoot(rootfs, rel, k.privateKey.reveal(), 0600, owner); !r)
            return r;
        if (auto r = writeFileInRoot(rootfs, rel + ".pub", k.publicKey, 0644, owner); !r)
            return r;
    }
    return {};
}

bool hasSshServer(const std::string& rootfs)
{
    return fileModeInRoot(rootfs, "usr/sbin/sshd").has_value();
}

core::Result<void> setSshServerEnabled(const std::string& rootfs, bool enabled, std::optional<FileOwner> owner)
{
    if (!enabled) {
        if (auto r = makeDirsInRoot(rootfs, "etc/ssh", 0755, owner); !r)
            return r;
        return writeFileInRoot(rootfs, kNotToBeRun, "Written by zenith-provisionerd: the machine's spec says ssh=false.\n",
                               0644, owner);
    }
    if (auto r = removeFileInRoot(rootfs, kNotToBeRun); !r)
        return r;
    if (fileModeInRoot(rootfs, kSocketWants))
        return {};  // started through its socket (Ubuntu 22.10 and later)
    if (auto r = makeDirsInRoot(rootfs, "etc/systemd/system/multi-user.target.wants", 0755, owner); !r)
        return r;
    return symlinkInRoot(rootfs, kSshWants, "/lib/systemd/system/ssh.service");
}

core::Result<void> checkSshKeygen()
{
    for (const char* dir : {"/usr/bin", "/bin", "/usr/local/bin"})
        if (::access((std::string(dir) + "/ssh-keygen").c_str(), X_OK) == 0)
            return {};
    return core::fail(ErrorCode::BackendUnavailable,
                      "machines get SSH host keys made with ssh-keygen, which this host lacks: install the "
                      "openssh-client package");
}

}  // namespace zenith::drivers::nspawn
