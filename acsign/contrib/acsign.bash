# bash completion for acsign. Source it, or copy it to
# /usr/share/bash-completion/completions/acsign.
# Commands and flags come from acsign itself (--generate-bash-completion);
# file names are completed when acsign offers nothing.
_acsign() {
	local cur words
	cur="${COMP_WORDS[COMP_CWORD]}"
	words=("${COMP_WORDS[@]:0:COMP_CWORD}")
	local IFS=$'\n'
	COMPREPLY=($(compgen -W "$("${words[0]}" "${words[@]:1}" --generate-bash-completion 2>/dev/null)" -- "$cur"))
	if [ ${#COMPREPLY[@]} -eq 0 ]; then
		COMPREPLY=($(compgen -f -- "$cur"))
	fi
}
complete -o filenames -F _acsign acsign
