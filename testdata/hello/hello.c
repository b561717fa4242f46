/* The user story's program: built with `gcc -static` into rootfs/bin/hello. */
#include <stdio.h>

int main(void)
{
	puts("Hello AppC");
	return 0;
}
