/* bp_matmul.cl */
