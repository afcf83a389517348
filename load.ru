PREFIX ex: <http://e/>
INSERT DATA { ex:a ex:b ex:c\#d } ; LOAD <http://127.0.0.1:18799/load-ssrf> INTO GRAPH <http://g/>
