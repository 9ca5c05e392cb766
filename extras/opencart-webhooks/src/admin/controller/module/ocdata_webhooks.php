<?php
/**
 * ocdata webhooks, admin side: the settings form, and the events registered on install.
 *
 * Extensions > Extensions > Modules > "ocdata webhooks": install, then edit to set the
 * receiver URL (`ocdata events serve` prints it), the shared secret and the event types.
 */
namespace Opencart\Admin\Controller\Extension\OcdataWebhooks\Module;

require_once DIR_EXTENSION . 'ocdata_webhooks/system/library/sender.php';

class OcdataWebhooks extends \Opencart\System\Engine\Controller {
	public const CODE = 'ocdata_webhooks';

	/**
	 * Event rows for this OpenCart version. 4.1 names a model method with "." in triggers
	 * (catalog/model/checkout/order.addHistory/after), 4.0.2 with "/"; actions use "." since 4.0.2.
	 *
	 * @return array<int, array<string, mixed>>
	 */
	public static function events(string $version): array {
		$sep = version_compare($version, '4.1.0.0', '>=') ? '.' : '/';
		$catalog = 'extension/ocdata_webhooks/event/webhooks.';
		$admin = 'extension/ocdata_webhooks/event/webhooks.';

		$rows = [
			['catalog/model/checkout/order' . $sep . 'addHistory/before', $catalog . 'orderBefore', 'remembers an order\'s status before a change'],
			['catalog/model/checkout/order' . $sep . 'addHistory/after', $catalog . 'orderAfter', 'sends order.created / order.updated'],
			['catalog/model/account/customer' . $sep . 'addCustomer/after', $catalog . 'customerAfter', 'sends customer.registered'],
			['admin/model/customer/customer' . $sep . 'addCustomer/after', $admin . 'customerAfter', 'sends customer.registered (added in the admin)'],
			['admin/model/catalog/product' . $sep . 'addProduct/after', $admin . 'productAdded', 'sends product.updated for a new product'],
			['admin/model/catalog/product' . $sep . 'editProduct/before', $admin . 'productBefore', 'remembers a product before an edit'],
			['admin/model/catalog/product' . $sep . 'editProduct/after', $admin . 'productAfter', 'sends product.updated'],
		];

		$events = [];

		foreach ($rows as $i => [$trigger, $action, $description]) {
			$events[] = [
				'code'        => self::CODE,
				'description' => 'ocdata webhooks: ' . $description,
				'trigger'     => $trigger,
				'action'      => $action,
				'status'      => 1,
				'sort_order'  => 100 + $i,
			];
		}

		return $events;
	}

	public function install(): void {
		if ($this->user->hasPermission('modify', 'extension/ocdata_webhooks/module/ocdata_webhooks')) {
			$this->load->model('setting/event');

			$this->model_setting_event->deleteEventByCode(self::CODE);

			foreach (self::events(VERSION) as $event) {
				$this->model_setting_event->addEvent($event);
			}
		}
	}

	public function uninstall(): void {
		if ($this->user->hasPermission('modify', 'extension/ocdata_webhooks/module/ocdata_webhooks')) {
			$this->load->model('setting/event');

			$this->model_setting_event->deleteEventByCode(self::CODE);

			$this->load->model('setting/setting');

			$this->model_setting_setting->deleteSetting('module_ocdata_webhooks');
		}
	}

	public function index(): void {
		$this->load->language('extension/ocdata_webhooks/module/ocdata_webhooks');

		$this->document->setTitle($this->language->get('heading_title'));

		$token = 'user_token=' . $this->session->data['user_token'];

		$data['breadcrumbs'] = [
			['text' => $this->language->get('text_home'), 'href' => $this->url->link('common/dashboard', $token)],
			['text' => $this->language->get('text_extension'), 'href' => $this->url->link('marketplace/extension', $token . '&type=module')],
			['text' => $this->language->get('heading_title'), 'href' => $this->url->link('extension/ocdata_webhooks/module/ocdata_webhooks', $token)],
		];

		$data['save'] = $this->url->link('extension/ocdata_webhooks/module/ocdata_webhooks.save', $token);
		$data['back'] = $this->url->link('marketplace/extension', $token . '&type=module');

		$data['module_ocdata_webhooks_status'] = (int)$this->config->get('module_ocdata_webhooks_status');
		$data['module_ocdata_webhooks_url'] = (string)$this->config->get('module_ocdata_webhooks_url');
		$data['module_ocdata_webhooks_secret'] = (string)$this->config->get('module_ocdata_webhooks_secret');
		$data['module_ocdata_webhooks_events'] = (array)($this->config->get('module_ocdata_webhooks_events') ?: \Ocdata\Webhooks\Sender::EVENTS);
		$data['all_events'] = \Ocdata\Webhooks\Sender::EVENTS;

		$data['header'] = $this->load->controller('common/header');
		$data['column_left'] = $this->load->controller('common/column_left');
		$data['footer'] = $this->load->controller('common/footer');

		$this->response->setOutput($this->load->view('extension/ocdata_webhooks/module/ocdata_webhooks', $data));
	}

	public function save(): void {
		$this->load->language('extension/ocdata_webhooks/module/ocdata_webhooks');

		$json = [];

		if (!$this->user->hasPermission('modify', 'extension/ocdata_webhooks/module/ocdata_webhooks')) {
			$json['error']['warning'] = $this->language->get('error_permission');
		}

		$errors = self::validate($this->request->post);

		foreach ($errors as $field => $key) {
			$json['error'][$field] = $this->language->get($key);
		}

		if (!$json) {
			$this->load->model('setting/setting');

			$post = $this->request->post;
			$post['module_ocdata_webhooks_events'] = array_values(array_intersect(\Ocdata\Webhooks\Sender::EVENTS, (array)($post['module_ocdata_webhooks_events'] ?? [])));

			$this->model_setting_setting->editSetting('module_ocdata_webhooks', $post);

			$json['success'] = $this->language->get('text_success');
		}

		$this->response->addHeader('Content-Type: application/json');
		$this->response->setOutput(json_encode($json));
	}

	/** @return array<string, string> field => language key of its error */
	public static function validate(array $post): array {
		$errors = [];
		$url = (string)($post['module_ocdata_webhooks_url'] ?? '');

		if (!preg_match('#^https?://[^\s/]+#i', $url) || strlen($url) > 500) {
			$errors['url'] = 'error_url';
		}

		if (strlen((string)($post['module_ocdata_webhooks_secret'] ?? '')) < 16) {
			$errors['secret'] = 'error_secret';
		}

		if (!array_intersect(\Ocdata\Webhooks\Sender::EVENTS, (array)($post['module_ocdata_webhooks_events'] ?? []))) {
			$errors['events'] = 'error_events';
		}

		return $errors;
	}
}
