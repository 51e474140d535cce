# bash completion for netward(8)
_netward() {
	local cur prev cmd i
	cur=${COMP_WORDS[COMP_CWORD]}
	prev=${COMP_WORDS[COMP_CWORD - 1]}
	local commands="precreate prestart createRuntime poststop patch-bundle gc status
		check-config explain test proxy"

	# The command is the first word that is not an option or --config's value.
	for ((i = 1; i < COMP_CWORD; i++)); do
		case ${COMP_WORDS[i]} in
		--config) ((i++)) ;;
		-*) ;;
		*)
			cmd=${COMP_WORDS[i]}
			break
			;;
		esac
	done

	case $prev in
	--config)
		compgen -f -- "$cur" >/dev/null && mapfile -t COMPREPLY < <(compgen -f -- "$cur")
		return
		;;
	--network)
		mapfile -t COMPREPLY < <(compgen -W "none http full" -- "$cur")
		return
		;;
	--domains | --listen | --job-id) return ;;
	esac

	local opts
	case $cmd in
	"")
		mapfile -t COMPREPLY < <(compgen -W "$commands --config --help --version" -- "$cur")
		return
		;;
	patch-bundle)
		mapfile -t COMPREPLY < <(compgen -d -- "$cur")
		return
		;;
	check-config)
		if [[ $cur == -* ]]; then
			opts="--json --strict --help"
		else
			mapfile -t COMPREPLY < <(compgen -f -- "$cur")
			return
		fi
		;;
	gc | status) opts="--json --help" ;;
	explain) opts="--network --domains --json --help" ;;
	test) opts="--domains --json --help" ;;
	proxy) opts="--listen --domains --job-id --no-sandbox --help" ;;
	*) opts="--help" ;;
	esac
	mapfile -t COMPREPLY < <(compgen -W "$opts" -- "$cur")
}
complete -F _netward netward
