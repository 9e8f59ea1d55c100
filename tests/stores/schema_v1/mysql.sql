/*M!999999\- enable the sandbox mode */ 

/*!40101 SET @OLD_CHARACTER_SET_CLIENT=@@CHARACTER_SET_CLIENT */;
/*!40101 SET @OLD_CHARACTER_SET_RESULTS=@@CHARACTER_SET_RESULTS */;
/*!40101 SET @OLD_COLLATION_CONNECTION=@@COLLATION_CONNECTION */;
/*!40101 SET NAMES utf8mb4 */;
/*!40103 SET @OLD_TIME_ZONE=@@TIME_ZONE */;
/*!40103 SET TIME_ZONE='+00:00' */;
/*!40014 SET @OLD_UNIQUE_CHECKS=@@UNIQUE_CHECKS, UNIQUE_CHECKS=0 */;
/*!40014 SET @OLD_FOREIGN_KEY_CHECKS=@@FOREIGN_KEY_CHECKS, FOREIGN_KEY_CHECKS=0 */;
/*!40101 SET @OLD_SQL_MODE=@@SQL_MODE, SQL_MODE='NO_AUTO_VALUE_ON_ZERO' */;
/*!40111 SET @OLD_SQL_NOTES=@@SQL_NOTES, SQL_NOTES=0 */;
DROP TABLE IF EXISTS `proauth2_access_tokens`;
/*!40101 SET @saved_cs_client     = @@character_set_client */;
/*!40101 SET character_set_client = utf8mb4 */;
CREATE TABLE `proauth2_access_tokens` (
  `token_hash` varchar(64) NOT NULL,
  `client_id` varchar(255) NOT NULL,
  `user_id` varchar(255) DEFAULT NULL,
  `scopes` text NOT NULL,
  `grant_id` varchar(64) NOT NULL,
  `issued_at` bigint(20) NOT NULL,
  `expires_at` bigint(20) NOT NULL,
  `revoked` tinyint(1) NOT NULL,
  PRIMARY KEY (`token_hash`),
  KEY `proauth2_access_tokens_client_id` (`client_id`),
  KEY `proauth2_access_tokens_user_id` (`user_id`),
  KEY `proauth2_access_tokens_grant_id` (`grant_id`),
  KEY `proauth2_access_tokens_expires_at` (`expires_at`)
) ENGINE=InnoDB DEFAULT CHARSET=utf8mb4 COLLATE=utf8mb4_general_ci;
/*!40101 SET character_set_client = @saved_cs_client */;

INSERT INTO `proauth2_access_tokens` VALUES ('2d6424d639cff2018634a0675f8387080a4a231482d075c53df5a6e4fc7c114a','yRS3bfFLkXIBjcPWazmQDg','alice','[\"email\",\"profile\"]','gcG57n7ofeSBK6M1tC3-2A',1800000000,1800003600,0);
INSERT INTO `proauth2_access_tokens` VALUES ('9aa071ae750970b978ba52cd9568af8e157137a16f4af00c5675a4e87d824a48','BZF5T7vn7O9wuYH_37MCEQ',NULL,'[\"profile\"]','ZGzbDs-x8iMi_opdoDLuYg',1800000000,1800003600,1);
INSERT INTO `proauth2_access_tokens` VALUES ('c461a15f9006c5f148467333b79361a180b66e0c2429bee069de8c71b29e8bf1','I7m8JbjwXyx6LZuJi3lHAg','bob','[\"email\",\"profile\"]','gteYau0bVflG0MAi8_obew',1800000000,1800003600,0);
INSERT INTO `proauth2_access_tokens` VALUES ('e9785e88499e2bd6262897f485fba84e025fd4aa64b8e107c23391bea6c8aab3','BZF5T7vn7O9wuYH_37MCEQ',NULL,'[\"profile\"]','UwvFP6kebj7QbKEpuD6mUQ',1800000000,1800003600,0);
DROP TABLE IF EXISTS `proauth2_clients`;
/*!40101 SET @saved_cs_client     = @@character_set_client */;
/*!40101 SET character_set_client = utf8mb4 */;
CREATE TABLE `proauth2_clients` (
  `client_id` varchar(255) NOT NULL,
  `secret_hash` varchar(64) DEFAULT NULL,
  `name` varchar(255) NOT NULL,
  `redirect_uris` text NOT NULL,
  `grant_types` text NOT NULL,
  `scopes` text NOT NULL,
  `default_scope` text NOT NULL,
  `auth_method` varchar(32) NOT NULL,
  `created_at` bigint(20) NOT NULL,
  PRIMARY KEY (`client_id`)
) ENGINE=InnoDB DEFAULT CHARSET=utf8mb4 COLLATE=utf8mb4_general_ci;
/*!40101 SET character_set_client = @saved_cs_client */;

INSERT INTO `proauth2_clients` VALUES ('BZF5T7vn7O9wuYH_37MCEQ','94c517953556b91bc851ab107ea246cdf1a953c1841381051f5aa1e50f0de3cd','Service','[]','[\"client_credentials\"]','[\"email\",\"profile\"]','[\"profile\"]','client_secret_post',1800000000);
INSERT INTO `proauth2_clients` VALUES ('I7m8JbjwXyx6LZuJi3lHAg',NULL,'Native app','[\"http://127.0.0.1/callback\"]','[\"authorization_code\",\"refresh_token\"]','[\"email\",\"profile\"]','[\"profile\"]','none',1800000000);
INSERT INTO `proauth2_clients` VALUES ('yRS3bfFLkXIBjcPWazmQDg','fa6f1c1d88a252a4296d55a9b921f9d80c1f541ca6dc745c3d9554763668b257','Web app','[\"https://client.example.com/callback\"]','[\"authorization_code\",\"refresh_token\"]','[\"email\",\"profile\"]','[\"profile\"]','client_secret_basic',1800000000);
DROP TABLE IF EXISTS `proauth2_codes`;
/*!40101 SET @saved_cs_client     = @@character_set_client */;
/*!40101 SET character_set_client = utf8mb4 */;
CREATE TABLE `proauth2_codes` (
  `code_hash` varchar(64) NOT NULL,
  `client_id` varchar(255) NOT NULL,
  `user_id` varchar(255) NOT NULL,
  `redirect_uri` text NOT NULL,
  `redirect_uri_given` tinyint(1) NOT NULL,
  `scopes` text NOT NULL,
  `code_challenge` varchar(128) DEFAULT NULL,
  `code_challenge_method` varchar(8) DEFAULT NULL,
  `grant_id` varchar(64) NOT NULL,
  `expires_at` bigint(20) NOT NULL,
  `used` tinyint(1) NOT NULL,
  PRIMARY KEY (`code_hash`),
  KEY `proauth2_codes_grant_id` (`grant_id`),
  KEY `proauth2_codes_expires_at` (`expires_at`)
) ENGINE=InnoDB DEFAULT CHARSET=utf8mb4 COLLATE=utf8mb4_general_ci;
/*!40101 SET character_set_client = @saved_cs_client */;

INSERT INTO `proauth2_codes` VALUES ('12b62e071922328aa8fa9ded75b8097d45346efe786f5f3b31bf866ccc6ad23f','yRS3bfFLkXIBjcPWazmQDg','alice','https://client.example.com/callback',1,'[\"email\",\"profile\"]','CrlVwe1WSHWuTQYh3iczmx3aS-faRx6C92k9_hNxl4A','S256','gcG57n7ofeSBK6M1tC3-2A',1800000060,1);
INSERT INTO `proauth2_codes` VALUES ('2a1b8b021cd2c9bb930778f823ff7ae09f5e314f04e21704a592a95de4732807','yRS3bfFLkXIBjcPWazmQDg','carol','https://client.example.com/callback',1,'[\"email\",\"profile\"]','CrlVwe1WSHWuTQYh3iczmx3aS-faRx6C92k9_hNxl4A','S256','QVz98TceFZXx7cdWd59UzA',1800000060,0);
INSERT INTO `proauth2_codes` VALUES ('eb1b16fa6dab92c7edafe38bbd277449d1a2ee5923df69f5cde5d1fb7851f556','I7m8JbjwXyx6LZuJi3lHAg','bob','http://127.0.0.1/callback',0,'[\"email\",\"profile\"]','CrlVwe1WSHWuTQYh3iczmx3aS-faRx6C92k9_hNxl4A','S256','gteYau0bVflG0MAi8_obew',1800000060,1);
DROP TABLE IF EXISTS `proauth2_refresh_tokens`;
/*!40101 SET @saved_cs_client     = @@character_set_client */;
/*!40101 SET character_set_client = utf8mb4 */;
CREATE TABLE `proauth2_refresh_tokens` (
  `token_hash` varchar(64) NOT NULL,
  `client_id` varchar(255) NOT NULL,
  `user_id` varchar(255) DEFAULT NULL,
  `scopes` text NOT NULL,
  `grant_id` varchar(64) NOT NULL,
  `issued_at` bigint(20) NOT NULL,
  `expires_at` bigint(20) NOT NULL,
  `revoked` tinyint(1) NOT NULL,
  `used` tinyint(1) NOT NULL,
  PRIMARY KEY (`token_hash`),
  KEY `proauth2_refresh_tokens_client_id` (`client_id`),
  KEY `proauth2_refresh_tokens_user_id` (`user_id`),
  KEY `proauth2_refresh_tokens_grant_id` (`grant_id`),
  KEY `proauth2_refresh_tokens_expires_at` (`expires_at`)
) ENGINE=InnoDB DEFAULT CHARSET=utf8mb4 COLLATE=utf8mb4_general_ci;
/*!40101 SET character_set_client = @saved_cs_client */;

INSERT INTO `proauth2_refresh_tokens` VALUES ('40a4f4aed040e146383ae0291ce7d16095699b56f699cd6a984a9778f4506b35','I7m8JbjwXyx6LZuJi3lHAg','bob','[\"email\",\"profile\"]','gteYau0bVflG0MAi8_obew',1800000000,1801209600,0,0);
INSERT INTO `proauth2_refresh_tokens` VALUES ('e897f0011cb475b8933f0e0b703410378932844e901b13807728414810bce0b0','yRS3bfFLkXIBjcPWazmQDg','alice','[\"email\",\"profile\"]','gcG57n7ofeSBK6M1tC3-2A',1800000000,1801209600,0,0);
DROP TABLE IF EXISTS `proauth2_schema_version`;
/*!40101 SET @saved_cs_client     = @@character_set_client */;
/*!40101 SET character_set_client = utf8mb4 */;
CREATE TABLE `proauth2_schema_version` (
  `id` int(11) NOT NULL AUTO_INCREMENT,
  `version` int(11) NOT NULL,
  PRIMARY KEY (`id`)
) ENGINE=InnoDB AUTO_INCREMENT=2 DEFAULT CHARSET=utf8mb4 COLLATE=utf8mb4_general_ci;
/*!40101 SET character_set_client = @saved_cs_client */;

INSERT INTO `proauth2_schema_version` VALUES (1,1);
/*!40103 SET TIME_ZONE=@OLD_TIME_ZONE */;

/*!40101 SET SQL_MODE=@OLD_SQL_MODE */;
/*!40014 SET FOREIGN_KEY_CHECKS=@OLD_FOREIGN_KEY_CHECKS */;
/*!40014 SET UNIQUE_CHECKS=@OLD_UNIQUE_CHECKS */;
/*!40101 SET CHARACTER_SET_CLIENT=@OLD_CHARACTER_SET_CLIENT */;
/*!40101 SET CHARACTER_SET_RESULTS=@OLD_CHARACTER_SET_RESULTS */;
/*!40101 SET COLLATION_CONNECTION=@OLD_COLLATION_CONNECTION */;
/*!40111 SET SQL_NOTES=@OLD_SQL_NOTES */;

