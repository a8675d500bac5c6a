# bash completion for zenithctl                                  -*- shell-script -*-
# Machine names come from `zenithctl list --json` on the same bus (--host /
# --address given on the line are passed on).

_zenithctl_machines()
{
    local -a bus=()
    local i
    for ((i = 1; i < ${#COMP_WORDS[@]} - 1; i++)); do
        case ${COMP_WORDS[i]} in
            -H|--host|--address) bus+=("${COMP_WORDS[i]}" "${COMP_WORDS[i+1]}") ;;
        esac
    done
    zenithctl "${bus[@]}" --no-ask-password --timeout 5 list --json 2>/dev/null |
        grep -o '"name":"[^"]*"' | cut -d'"' -f4
}

_zenithctl()
{
    local cur prev words cword
    _init_completion || return

    local commands="create clone cloudpod destroy start stop template backup list show jobs cancel images"
    commands+=" pools leases next-ip bridges forward unforward forwards nodes storages isos templates health backups"
    local global="--help --version --json --no-wait -q --quiet --no-ask-password -H --host --address --timeout"
    # cloudpod: VMID, LAST_OCTET and its --template (the clone source) stand
    # for --vmid, --ipv4/--ip, --last-octet and the spec's template.
    local cloudpod="--distro --release --arch --password-stdin --password-file --password-hash-file
                --ssh-key --cpu --memory --mem --disk --swap --cores --node --storage --bridge --gateway --dns
                --ipv6 --gateway6
                --set --wireguard-config-file --no-start --dry-run --iso --os --bios --virtio-iso --ostemplate"
    local spec="$cloudpod --template --vmid --ipv4 --ip --last-octet"
    local keys="distro release arch template ssh ssh_authorized_keys cpu_quota memory_max
                disk_max swap_max cores bridge ipv4 gateway dns ipv6_mode ipv6 gateway6 tunnel ports node vmid
                storage iso os_type bios virtio_iso pool last_octet ostemplate unprivileged nesting
                full_clone cpu_type machine vga scsihw boot agent tablet onboot make_template"

    case $prev in
        --password-file|--password-hash-file|--wireguard-config-file|--ssh-key)
            _filedir
            return ;;
        --backend)
            COMPREPLY=($(compgen -W "nspawn proxmox-lxc proxmox-qemu" -- "$cur"))
            return ;;
        --mode)
            COMPREPLY=($(compgen -W "snapshot suspend stop" -- "$cur"))
            return ;;
        --distro)
            COMPREPLY=($(compgen -W "debian ubuntu" -- "$cur"))
            return ;;
        --os)
            COMPREPLY=($(compgen -W "l26 win11 win10 other ubuntu debian centos rocky alma windows" -- "$cur"))
            return ;;
        --bios)
            COMPREPLY=($(compgen -W "seabios ovmf" -- "$cur"))
            return ;;
        --release)
            COMPREPLY=($(compgen -W "bookworm bullseye" -- "$cur"))
            return ;;
        --arch)
            COMPREPLY=($(compgen -W "amd64 arm64" -- "$cur"))
            return ;;
        --set)
            compopt -o nospace
            COMPREPLY=($(compgen -S = -W "$keys" -- "$cur"))
            return ;;
        --template)
            COMPREPLY=($(compgen -W "$(_zenithctl_machines)" -- "$cur"))
            return ;;
        -H|--host|--address|--timeout|--cpu|--memory|--mem|--disk|--swap|--cores|--vmid|--node|--storage|\
        --bridge|--ipv4|--ip|--last-octet|--gateway|--dns|--iso|--virtio-iso|--ostemplate)
            return ;;
    esac

    local command= i
    for ((i = 1; i < cword; i++)); do
        if [[ " $commands " == *" ${words[i]} "* ]]; then
            command=${words[i]}
            break
        fi
    done

    if [[ -z $command ]]; then
        if [[ $cur == -* ]]; then
            COMPREPLY=($(compgen -W "$global" -- "$cur"))
        else
            COMPREPLY=($(compgen -W "$commands" -- "$cur"))
        fi
        return
    fi

    local options
    case $command in
        create) options="--backend $spec" ;;
        clone) options="$spec" ;;
        cloudpod) options="--template $cloudpod" ;;
        destroy) options="--force --backup-first --dry-run" ;;
        stop) options="--force --dry-run" ;;
        start|template) options="--dry-run" ;;
        backup) options="--storage --mode --dry-run" ;;
        images|nodes|storages) options="--backend" ;;
        *) options="" ;;
    esac

    if [[ $cur == -* ]]; then
        COMPREPLY=($(compgen -W "--help $options $global" -- "$cur"))
        return
    fi
    case $command in
        clone|destroy|start|stop|template|show|backup|backups|health)
            COMPREPLY=($(compgen -W "$(_zenithctl_machines)" -- "$cur")) ;;
        cancel)
            COMPREPLY=($(compgen -W "$(zenithctl --no-ask-password --timeout 5 jobs --json 2>/dev/null |
                grep -o '"id":[0-9]*' | cut -d: -f2)" -- "$cur")) ;;
    esac
} && complete -F _zenithctl zenithctl
