# bash completion for the acikit tools (actool, acsign, acfetch, acrun,
# docker2aci). Source it, or copy it to /usr/share/bash-completion/completions/
# under each tool's name (make install does). Commands and flags come from the
# tool itself (--generate-bash-completion); file names are completed when the
# tool offers nothing.
_acikit() {
	local cur="${COMP_WORDS[COMP_CWORD]}"
	local words=("${COMP_WORDS[@]:0:COMP_CWORD}")
	# The tool lists flags only when it sees the dash being typed; a bare
	# "--" would end its flags (and its completion), so "-" stands for it.
	if [[ $cur == -- ]]; then
		words+=(-)
	elif [[ $cur == -* ]]; then
		words+=("$cur")
	fi
	local IFS=$'\n'
	COMPREPLY=($(compgen -W "$("${words[0]}" "${words[@]:1}" --generate-bash-completion 2>/dev/null)" -- "$cur"))
	if [ ${#COMPREPLY[@]} -eq 0 ]; then
		COMPREPLY=($(compgen -f -- "$cur"))
	fi
}
complete -o filenames -F _acikit actool acsign acfetch acrun docker2aci
