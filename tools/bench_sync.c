/* bench_sync.c — lumbung-bench-sync (being written) */
int main(void)
{
	return 0;
}
