/* An empty translation unit: mediasoup links a subproject's static library whole;
   with the system library providing the real code, the shim's library is empty. */
int earshot_mediasoup_shim_placeholder(void) { return 0; }
